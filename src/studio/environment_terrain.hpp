#pragma once
// Heightfield scenes (Mars, desert, forest floor, beach, snowy mountains): a
// terrain is a height function plus a surface description; render_terrain()
// marches each image column front to back (a y-buffer, so the cost is bounded by
// columns x steps, not pixels x steps) and shades every visible ground pixel with
// its own world point.
#include <memory>

#include "studio/environment_world.hpp"

namespace reel::studio::env {

struct GroundPoint {
  Vec3 albedo{0.3f, 0.3f, 0.3f};
  Vec3 emission{0, 0, 0};
  float specular = 0.0f;    // 0 matte .. 1 mirror (water)
  float shininess = 60.0f;  // sun highlight sharpness
  float shadow = 1.0f;      // 1 lit, 0 in a cast shadow
  bool has_normal = false;  // surface supplies its own normal (water waves)
  Vec3 normal{0, 1, 0};
  Surface kind = Surface::ground;
  bool snow_free = false;  // lying snow does not settle here (water)
};

class Terrain {
 public:
  virtual ~Terrain() = default;
  // Height in metres at world (x, z); `footprint` is the size in metres of one
  // pixel there, so noise octaves finer than that are skipped (no shimmer, bounded cost).
  virtual float height(float x, float z, float footprint) const = 0;
  virtual GroundPoint surface(Vec3 p, Vec3 normal, float footprint) const = 0;
  virtual float far_limit() const { return kFarPlane; }
};

std::unique_ptr<Terrain> make_mars_terrain(const World& w, bool earth_desert);
std::unique_ptr<Terrain> make_mountain_terrain(const World& w);
std::unique_ptr<Terrain> make_beach_terrain(const World& w);
std::unique_ptr<Terrain> make_forest_terrain(const World& w);

// Puts the camera 1.7 m above the ground at its position.
void place_camera(World& w, const Terrain& terrain);
// Fills `frame` with terrain and sky, leaving alone pixels already holding
// something nearer (objects drawn first, so hidden ground is never shaded).
void render_terrain(const World& w, const Terrain& terrain, Frame& frame);

// Lambert + ambient + (optional) specular reflection of the sky.
Vec3 shade_surface(const World& w, const GroundPoint& g, Vec3 normal, Vec3 view_dir);

// Octaves of noise with base wavelength `scale` worth computing at `footprint`.
int lod_octaves(float scale, float footprint, int max_octaves);

}  // namespace reel::studio::env
