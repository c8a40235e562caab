#include "character_body.hpp"

#include <algorithm>
#include <cmath>

#include "character_sdf.hpp"
#include "reel/core/error.hpp"

namespace reel::studio::character {

void compute_bound(Primitive& p) {
  switch (p.shape) {
    case Shape::ellipsoid:
      p.bound_centre = p.centre;
      p.bound = std::max({p.size.x, p.size.y, p.size.z});
      break;
    case Shape::round_cone:
      p.bound_centre = (p.centre + p.b) * 0.5f;
      p.bound = length(p.b - p.centre) * 0.5f + std::max(p.ra, p.rb);
      break;
    case Shape::round_box:
      p.bound_centre = p.centre;
      p.bound = length(p.size);
      break;
    case Shape::torus:
      p.bound_centre = p.centre;
      p.bound = p.size.x + p.size.y;
      break;
    case Shape::capped_cone:
      p.bound_centre = p.centre;
      p.bound = std::sqrt(std::max(p.size.x, p.size.z) * std::max(p.size.x, p.size.z) +
                          p.size.y * p.size.y);
      break;
    case Shape::cylinder:
      p.bound_centre = p.centre;
      p.bound = std::sqrt(p.size.x * p.size.x + p.size.y * p.size.y);
      break;
  }
  REEL_ASSERT(p.blend >= 0 && p.blend <= kMaxBlend);
  if (p.shape == Shape::ellipsoid) {
    p.inv_size = {1 / p.size.x, 1 / p.size.y, 1 / p.size.z};
    p.inv_size2 = mul(p.inv_size, p.inv_size);
  }
  if (p.shape == Shape::round_cone) {
    p.ba = p.b - p.centre;
    p.l2 = dot(p.ba, p.ba);
    p.rr = p.ra - p.rb;
    p.a2 = p.l2 - p.rr * p.rr;
    p.il2 = 1 / p.l2;
  }
  p.blend_inv = p.blend > 0 ? 1.0f / p.blend : 0.0f;
  // Smooth unions swell the surface by up to a quarter of the blend radius.
  p.bound += p.blend * 0.25f + 1e-4f;
}

int BodyBuilder::part(const std::string& name, const std::string& parent, Vec3 pivot) {
  body_.parts.push_back({name, parent, xform_.apply(pivot)});
  return static_cast<int>(body_.parts.size()) - 1;
}

Primitive& BodyBuilder::add(Primitive p) {
  p.centre = xform_.apply(p.centre);
  p.b = xform_.apply(p.b);
  p.rot = xform_.rot * p.rot;
  compute_bound(p);
  body_.prims.push_back(p);
  return body_.prims.back();
}

Primitive& BodyBuilder::ellipsoid(int part, Material m, Vec3 c, Vec3 r, float blend,
                                  const Mat3& rot) {
  Primitive p;
  p.shape = Shape::ellipsoid, p.material = m, p.part = part, p.centre = c, p.size = r;
  p.blend = blend, p.rot = rot;
  return add(p);
}

Primitive& BodyBuilder::cone(int part, Material m, Vec3 a, Vec3 b, float ra, float rb,
                             float blend) {
  Primitive p;
  p.shape = Shape::round_cone, p.material = m, p.part = part, p.centre = a, p.b = b;
  p.ra = ra, p.rb = rb, p.blend = blend;
  return add(p);
}

Primitive& BodyBuilder::box(int part, Material m, Vec3 c, Vec3 half, float round, float blend,
                            const Mat3& rot) {
  Primitive p;
  p.shape = Shape::round_box, p.material = m, p.part = part, p.centre = c, p.size = half;
  p.round = std::min({round, half.x, half.y, half.z}), p.blend = blend, p.rot = rot;
  return add(p);
}

Primitive& BodyBuilder::torus(int part, Material m, Vec3 c, float ring, float tube, const Mat3& rot,
                              float blend) {
  Primitive p;
  p.shape = Shape::torus, p.material = m, p.part = part, p.centre = c;
  p.size = {ring, tube, 0}, p.rot = rot, p.blend = blend;
  return add(p);
}

Primitive& BodyBuilder::cylinder(int part, Material m, Vec3 c, float radius, float half_height,
                                 float round, const Mat3& rot, float blend) {
  Primitive p;
  p.shape = Shape::cylinder, p.material = m, p.part = part, p.centre = c;
  p.size = {radius, half_height, 0}, p.round = std::min({round, radius, half_height});
  p.rot = rot, p.blend = blend;
  return add(p);
}

Primitive& BodyBuilder::capped_cone(int part, Material m, Vec3 c, float r_bottom, float half_height,
                                    float r_top, float blend) {
  Primitive p;
  p.shape = Shape::capped_cone, p.material = m, p.part = part, p.centre = c;
  p.size = {r_bottom, half_height, r_top}, p.blend = blend;
  return add(p);
}

Body build_body(const Recipe& recipe, const Pose& pose) {
  Body body;
  BodyBuilder bb(body);
  if (is_quadruped(recipe.archetype))
    build_quadruped(recipe, pose, bb);
  else
    build_humanoid(recipe, pose, bb);
  return body;
}

}  // namespace reel::studio::character
