#pragma once
#include "studio/environment_world.hpp"

namespace reel::studio::env {

struct DustWallSample {
  float alpha = 0;  // coverage of the wall along this ray
  Vec3 colour;
};

// The dust storm front: a towering billowing wall `wall_distance` metres away.
DustWallSample dust_wall_at(const World& w, Vec3 dir);

// Haze by depth, the dust wall, rain and snow, over a rendered frame. Updates
// depth where the dust wall hides what was behind it.
void apply_atmosphere(const World& w, Frame& f);

}  // namespace reel::studio::env
