#pragma once
// A posed character as a list of signed-distance primitives in character space:
// units of the character's standing height, feet at y = 0, +x to the viewer's
// right, +y up, +z towards the camera. Each primitive belongs to a rig part and
// carries a material the shader understands.
#include <string>
#include <vector>

#include "character_math.hpp"
#include "character_recipe.hpp"
#include "reel/studio/character.hpp"

namespace reel::studio::character {

enum class Shape : unsigned char {
  ellipsoid,    // size = radii
  round_cone,   // a → b, radii ra → rb (capsule when equal)
  round_box,    // size = half extents, round = corner radius
  torus,        // size.x = ring radius, size.y = tube radius; axis = local y
  capped_cone,  // size.x = bottom radius, size.y = half height, size.z = top radius; axis = local y
  cylinder,     // size.x = radius, size.y = half height, round = edge radius; axis = local y
};

enum class Material : unsigned char {
  suit,       // primary fabric / shell (seams and panels as decals)
  suit_dark,  // bearings, rings, soles (secondary)
  accent,     // stripes, patches, collar
  visor,      // glossy reflective glass
  metal,      // robot shell: metallic, panel lines
  metal_dark,
  glow,  // emissive (robot eyes, chest lights)
  skin,
  lips,
  hair,
  cloth_top,     // humans: shirt (primary)
  cloth_bottom,  // humans: trousers (secondary)
  shoe,
  fur,          // cat/dog main coat (primary with pattern)
  fur_light,    // muzzle, chest, paws
  eye,          // glossy iris (visor colour) with dark pupil
  dark,         // nose, pupils, mouth
  control_box,  // astronaut chest box with buttons
  backpack,     // life-support pack
};

// Surface detail painted by the shader in the primitive's own coordinates.
enum class Decal : unsigned char {
  none,
  limb_seams,   // round_cone: rings across the limb and a seam along it
  torso_seams,  // ellipsoid/box: centre seam, yoke line
  stripe,       // round_cone: an accent band around the middle
  panel_lines,  // robot plating grooves
  buttons,      // control box: a row of coloured buttons and a display
  tabby,        // fur stripes
  vents,        // backpack louvres
};

struct Primitive {
  Shape shape = Shape::ellipsoid;
  Material material = Material::suit;
  int part = 0;  // index into Body::parts
  Vec3 centre;   // ellipsoid/box/torus/cylinder centre; round_cone: a
  Vec3 b;        // round_cone end
  Mat3 rot;      // local → character space (ellipsoid/box/torus/cylinder)
  Vec3 size;     // see Shape
  float ra = 0, rb = 0;
  float round = 0;
  Decal decal = Decal::none;
  float blend = 0;      // smooth-union radius with the primitives before it
  float blend_inv = 0;  // 1 / blend, or 0
  // Shape constants precomputed by compute_bound for the distance functions.
  Vec3 inv_size, inv_size2;  // ellipsoid: 1/r, 1/r^2
  Vec3 ba;                   // round_cone: b - a
  float l2 = 0, rr = 0, a2 = 0, il2 = 0;
  float bound = 0;  // bounding-sphere radius around `bound_centre`
  Vec3 bound_centre;
};

struct BodyPart {
  std::string name;
  std::string parent;
  Vec3 pivot;  // character space, posed
};

struct Body {
  std::vector<BodyPart> parts;
  std::vector<Primitive> prims;
};

// Builds the posed body for a recipe. Deterministic.
Body build_body(const Recipe& recipe, const Pose& pose);

// Fills bound/bound_centre and the precomputed shape constants.
void compute_bound(Primitive& p);

// Part-building helpers shared by the archetype builders.
class BodyBuilder {
 public:
  explicit BodyBuilder(Body& body) : body_(body) {}
  int part(const std::string& name, const std::string& parent, Vec3 pivot);
  // Every primitive added after this is moved by `x` until the next call.
  void set_xform(const Xform& x) { xform_ = x; }
  const Xform& xform() const { return xform_; }
  Primitive& ellipsoid(int part, Material m, Vec3 c, Vec3 r, float blend = 0, const Mat3& rot = {});
  Primitive& cone(int part, Material m, Vec3 a, Vec3 b, float ra, float rb, float blend = 0);
  Primitive& box(int part, Material m, Vec3 c, Vec3 half, float round, float blend = 0,
                 const Mat3& rot = {});
  Primitive& torus(int part, Material m, Vec3 c, float ring, float tube, const Mat3& rot = {},
                   float blend = 0);
  Primitive& capped_cone(int part, Material m, Vec3 c, float r_bottom, float half_height,
                         float r_top, float blend = 0);
  Primitive& cylinder(int part, Material m, Vec3 c, float radius, float half_height, float round,
                      const Mat3& rot = {}, float blend = 0);

 private:
  Primitive& add(Primitive p);
  Body& body_;
  Xform xform_;
};

void build_humanoid(const Recipe& r, const Pose& pose, BodyBuilder& bb);
void build_quadruped(const Recipe& r, const Pose& pose, BodyBuilder& bb);

}  // namespace reel::studio::character
