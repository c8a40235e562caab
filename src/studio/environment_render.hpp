#pragma once
// One environment still from a parsed spec: picks the scene renderer, applies the
// atmosphere, tone-maps to RGBA8 and reports depth and the key light.
#include <cstdint>
#include <functional>

#include "reel/media/image.hpp"
#include "reel/model/scene.hpp"
#include "studio/environment_spec.hpp"
#include "studio/environment_world.hpp"

namespace reel::studio::env {

struct Rendered {
  media::Image image;   // RGBA8, opaque
  media::Plane depth;   // metres from the camera; kSkyDepth for sky
  model::Light light;   // camera space
  float horizon_y = 0;  // row of the horizon
};

// `between_passes` is called between the expensive passes (cancellation, progress).
Rendered render_environment(const EnvSpec& spec, int width, int height, std::uint64_t seed,
                            const std::function<void(double)>& between_passes = {});

// Scene renderers that are not heightfields; each fills colour, depth and surface.
void render_city(World& w, Frame& f);
void render_space(World& w, Frame& f);
void render_studio(World& w, Frame& f);
// Trees drawn over the forest floor (depth-tested against it).
class Terrain;
void render_trees(const World& w, const Terrain& terrain, Frame& f);

}  // namespace reel::studio::env
