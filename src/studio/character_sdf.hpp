#pragma once
// Signed distances of the character primitives (after Inigo Quilez's formulas)
// and the scene union over a candidate list. Inline: this is the inner loop.
#include <algorithm>
#include <cmath>

#include "character_body.hpp"

namespace reel::studio::character {

inline float sd_ellipsoid(Vec3 p, Vec3 r) {
  // Not exact but a bound near the surface, which is all sphere tracing needs.
  float k0 = length(div(p, r));
  float k1 = length(div(p, mul(r, r)));
  return k1 > 0 ? k0 * (k0 - 1.0f) / k1 : -std::min({r.x, r.y, r.z});
}

inline float sd_round_cone(Vec3 p, Vec3 a, Vec3 b, float r1, float r2) {
  Vec3 ba = b - a;
  float l2 = dot(ba, ba);
  float rr = r1 - r2;
  float a2 = l2 - rr * rr;
  float il2 = 1.0f / l2;
  Vec3 pa = p - a;
  float y = dot(pa, ba);
  float z = y - l2;
  Vec3 xv = pa * l2 - ba * y;
  float x2 = dot(xv, xv);
  float y2 = y * y * l2;
  float z2 = z * z * l2;
  float k = (rr > 0 ? 1.0f : (rr < 0 ? -1.0f : 0.0f)) * rr * rr * x2;
  if ((z > 0 ? 1.0f : -1.0f) * a2 * z2 > k) return std::sqrt(x2 + z2) * il2 - r2;
  if ((y > 0 ? 1.0f : -1.0f) * a2 * y2 < k) return std::sqrt(x2 + y2) * il2 - r1;
  return (std::sqrt(x2 * a2 * il2) + y * rr) * il2 - r1;
}

inline float sd_round_box(Vec3 p, Vec3 half, float r) {
  Vec3 q = vabs(p) - half + Vec3{r, r, r};
  float outside = length(vmax(q, 0.0f));
  float inside = std::min(std::max(q.x, std::max(q.y, q.z)), 0.0f);
  return outside + inside - r;
}

inline float sd_torus(Vec3 p, float ring, float tube) {
  float qx = std::sqrt(p.x * p.x + p.z * p.z) - ring;
  return std::sqrt(qx * qx + p.y * p.y) - tube;
}

inline float sd_cylinder(Vec3 p, float radius, float half_h, float round) {
  float dx = std::sqrt(p.x * p.x + p.z * p.z) - radius + round;
  float dy = std::fabs(p.y) - half_h + round;
  float ox = std::max(dx, 0.0f), oy = std::max(dy, 0.0f);
  return std::min(std::max(dx, dy), 0.0f) + std::sqrt(ox * ox + oy * oy) - round;
}

// Cone frustum along local y: radius r1 at y = -h, r2 at y = +h.
inline float sd_capped_cone(Vec3 p, float r1, float h, float r2) {
  float qx = std::sqrt(p.x * p.x + p.z * p.z), qy = p.y;
  float k1x = r2, k1y = h, k2x = r2 - r1, k2y = 2 * h;
  float cax = qx - std::min(qx, qy < 0 ? r1 : r2), cay = std::fabs(qy) - h;
  float t = std::clamp(((k1x - qx) * k2x + (k1y - qy) * k2y) / (k2x * k2x + k2y * k2y), 0.0f, 1.0f);
  float cbx = qx - k1x + k2x * t, cby = qy - k1y + k2y * t;
  float s = (cbx < 0 && cay < 0) ? -1.0f : 1.0f;
  return s * std::sqrt(std::min(cax * cax + cay * cay, cbx * cbx + cby * cby));
}

// Same as sd_ellipsoid with 1/r and 1/r^2 precomputed.
inline float sd_ellipsoid_pre(Vec3 p, const Primitive& pr) {
  float k0 = length(mul(p, pr.inv_size));
  float k1 = length(mul(p, pr.inv_size2));
  return k1 > 0 ? k0 * (k0 - 1.0f) / k1 : -std::min({pr.size.x, pr.size.y, pr.size.z});
}

// Same as sd_round_cone with the shape-only terms precomputed.
inline float sd_round_cone_pre(Vec3 p, const Primitive& pr) {
  Vec3 pa = p - pr.centre;
  float y = dot(pa, pr.ba);
  float z = y - pr.l2;
  Vec3 xv = pa * pr.l2 - pr.ba * y;
  float x2 = dot(xv, xv);
  float y2 = y * y * pr.l2;
  float z2 = z * z * pr.l2;
  float k = (pr.rr > 0 ? 1.0f : (pr.rr < 0 ? -1.0f : 0.0f)) * pr.rr * pr.rr * x2;
  if ((z > 0 ? 1.0f : -1.0f) * pr.a2 * z2 > k) return std::sqrt(x2 + z2) * pr.il2 - pr.rb;
  if ((y > 0 ? 1.0f : -1.0f) * pr.a2 * y2 < k) return std::sqrt(x2 + y2) * pr.il2 - pr.ra;
  return (std::sqrt(x2 * pr.a2 * pr.il2) + y * pr.rr) * pr.il2 - pr.ra;
}

inline float prim_distance(const Primitive& pr, Vec3 p) {
  switch (pr.shape) {
    case Shape::ellipsoid:
      return sd_ellipsoid_pre(tmul(pr.rot, p - pr.centre), pr);
    case Shape::round_cone:
      return sd_round_cone_pre(p, pr);
    case Shape::round_box:
      return sd_round_box(tmul(pr.rot, p - pr.centre), pr.size, pr.round);
    case Shape::torus:
      return sd_torus(tmul(pr.rot, p - pr.centre), pr.size.x, pr.size.y);
    case Shape::capped_cone:
      return sd_capped_cone(tmul(pr.rot, p - pr.centre), pr.size.x, pr.size.y, pr.size.z);
    case Shape::cylinder:
      return sd_cylinder(tmul(pr.rot, p - pr.centre), pr.size.x, pr.size.y, pr.round);
  }
  return 1e9f;
}

// Largest smooth-union radius any builder uses. Bounding-sphere shortcuts must stay
// outside it, or they would feed wrong values into the fillets.
constexpr float kMaxBlend = 0.1f;

// Polynomial smooth minimum: joins shapes with a fillet of radius ~k.
inline float smin(float a, float b, float k, float inv_k) {
  float h = std::max(k - std::fabs(a - b), 0.0f) * inv_k;
  return std::min(a, b) - h * h * k * 0.25f;
}

// Scene distance over the primitives listed in `cand`; `nearest` gets the
// primitive closest to p (it decides the material). With kBounded, primitives
// far from p answer with their bounding-sphere distance: cheaper and safe for
// marching, but not smooth enough for shading terms such as occlusion.
template <bool kBounded = true>
inline float scene_distance(const Primitive* prims, const int* cand, int n, Vec3 p, int* nearest) {
  float d = 1e9f, best = 1e9f;
  int who = -1;
  for (int i = 0; i < n; ++i) {
    const Primitive& pr = prims[cand[i]];
    // Cheap reject: far outside the bounding sphere the exact value does not matter.
    Vec3 c = p - pr.bound_centre;
    float c2 = dot(c, c), reach = pr.bound + kMaxBlend;
    float di = kBounded && c2 > reach * reach ? std::sqrt(c2) - pr.bound : prim_distance(pr, p);
    if (di < best) best = di, who = cand[i];
    d = pr.blend > 0 && d < 1e8f ? smin(d, di, pr.blend, pr.blend_inv) : std::min(d, di);
  }
  if (nearest) *nearest = who;
  return d;
}

}  // namespace reel::studio::character
