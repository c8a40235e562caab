#pragma once
// Materials and lighting for the character renderer: a key light with optional
// soft shadow, a sky/ground ambient scaled by ambient occlusion, a cool rim light,
// Blinn specular and, for glossy parts (visor, robot shell, eyes), a reflection of
// a sky/horizon/ground gradient so highlights move when the part turns.
#include "character_body.hpp"
#include "character_math.hpp"
#include "character_recipe.hpp"
#include "reel/model/scene.hpp"

namespace reel::studio::character {

struct LightRig {
  Vec3 key_dir;  // unit, towards the light
  Vec3 key;      // linear colour
  Vec3 ambient;  // linear colour
  Vec3 rim_dir;  // unit, towards the rim light (behind the character)
  Vec3 rim;
};

LightRig make_light_rig(const model::Light& light);

// Linear RGB of the surface point `p` (character space) with normal `n`.
// `ao` and `shadow` are in 0..1 (1 = unoccluded / lit). `detail`, when given,
// receives the distance (character units) to the nearest painted feature such as
// a seam or a panel line (0 on one; very large on unpainted surfaces).
Vec3 shade(const Recipe& recipe, const Primitive& prim, Vec3 p, Vec3 n, float ao, float shadow,
           const LightRig& lights, float* detail = nullptr);

}  // namespace reel::studio::character
