#pragma once
// Rocks scattered on a jittered grid: at most one per cell, placed from a hash of
// the cell and the seed, so they are deterministic and cost O(1) per lookup.
#include <cstdint>

#include "studio/environment_math.hpp"

namespace reel::studio::env {

struct RockField {
  float cell = 4.0f;         // metres
  float probability = 0.3f;  // of a cell holding a rock
  float min_radius = 0.2f, max_radius = 0.8f;
  float height_ratio = 0.6f;  // height / radius
  std::uint32_t seed = 1;
  float clear_radius = 0.0f;  // no rock centred this close to the camera's spot (origin)
};

struct RockSample {
  float height = 0;    // above the ground
  float coverage = 0;  // 1 inside the rock's footprint
};

RockSample rock_at(const RockField& f, float x, float z, float footprint);
// 0 = lit, 1 = fully in the cast shadow of a rock of this field. `sun` is the
// world direction towards the light.
float rock_shadow(const RockField& f, float x, float z, Vec3 sun);

}  // namespace reel::studio::env
