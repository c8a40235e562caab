#pragma once
// Everything the environment renderer needs for one image: the camera, the sun
// (or moon), the sky palette, the atmosphere, and the frame buffers every pass
// writes into. Built once from an EnvSpec by make_world().
#include <cstdint>
#include <vector>

#include "studio/environment_math.hpp"
#include "studio/environment_spec.hpp"

namespace reel::studio::env {

// Depth written for the sky and anything beyond the far plane (metres). A large
// finite value rather than infinity, so depth-aware compositing can do arithmetic.
inline constexpr float kSkyDepth = 1.0e4f;
// Nothing nearer than this is geometry; terrain marching stops before kSkyDepth.
inline constexpr float kFarPlane = 9500.0f;

// A pinhole camera that looks straight along +z with a shifted principal point
// ("lens shift"), so the horizon sits at `horizon_y` and verticals stay vertical.
struct Camera {
  int width = 0, height = 0;
  float focal = 1;      // pixels
  float cx = 0;         // principal point column
  float horizon_y = 0;  // row of the horizon (eye level)
  Vec3 pos{0, 1.7f, 0};

  Vec3 ray(float px, float py) const {
    return normalize({(px - cx) / focal, (horizon_y - py) / focal, 1.0f});
  }
  // Angle one pixel subtends (radians), for anti-aliasing and level of detail.
  float pixel_angle() const { return 1.0f / focal; }
};

struct SkyModel {
  Vec3 zenith, horizon;  // gradient ends (linear radiance)
  Vec3 glow;             // forward-scattered light around the sun
  float glow_power = 8.0f;
  Vec3 sun_dir{0, 1, 0};      // towards the sun or moon (world space)
  Vec3 disk;                  // disk radiance
  float disk_radius = 0.01f;  // radians
  bool moon = false;
  float star_brightness = 0.0f;
  float cloud_cover = 0.0f;  // 0 none .. 1 overcast
  Vec3 cloud_lit, cloud_shade;
  float overcast = 0.0f;  // 0..1: blends the whole sky towards a flat grey
  Vec3 overcast_colour;
};

struct Lighting {
  Vec3 sun_dir{0, 1, 0};  // world space, towards the light
  Vec3 sun;               // irradiance of the key light on a surface facing it
  Vec3 sky_ambient;       // from the upper hemisphere
  Vec3 ground_ambient;    // bounce from below
  float exposure = 1.0f;
};

struct Atmosphere {
  float fog_density = 0.0f;    // per metre at ground level
  float fog_height = 1500.0f;  // scale height (metres)
  Vec3 fog_tint{1, 1, 1};      // multiplies the horizon sky colour used as inscatter
  float fog_tint_mix = 0.0f;
  float fog_dim = 1.0f;  // < 1 darkens the fog colour (thick dust absorbs)
  bool dust_wall = false;
  float wall_distance = 3000.0f;
  float wall_height = 600.0f;
  float rain = 0.0f;        // 0..~1.6 streak amount
  float snow = 0.0f;        // 0..~1.6 flake amount
  float wet = 0.0f;         // 0..1 ground wetness
  float snow_cover = 0.0f;  // 0..1 snow lying on upward surfaces
};

// Linear-light colour, depth (metres from the camera) and a per-pixel tag.
enum class Surface : std::uint8_t { sky, ground, water, object };

struct Frame {
  int width = 0, height = 0;
  std::vector<Vec3> colour;
  std::vector<float> depth;
  std::vector<Surface> surface;
  Frame(int w, int h)
      : width(w),
        height(h),
        colour(static_cast<std::size_t>(w) * h),
        depth(static_cast<std::size_t>(w) * h, kSkyDepth),
        surface(static_cast<std::size_t>(w) * h, Surface::sky) {}
  std::size_t index(int x, int y) const { return static_cast<std::size_t>(y) * width + x; }
};

struct World {
  EnvSpec spec;
  Camera cam;
  SkyModel sky;
  Lighting light;
  Atmosphere atmo;
  std::uint32_t seed = 0;
};

World make_world(const EnvSpec& spec, int width, int height, std::uint64_t seed);

// Sky radiance along `dir` (clouds, sun or moon disk, stars included). Reflections
// leave the stars out: point-like stars in rippled glass or water only sparkle as noise.
Vec3 sky_radiance(const World& w, Vec3 dir, bool reflected = false);
// The colour distant things fade into along `dir`: the sky at the horizon in that
// azimuth, sun glow included, tinted by the atmosphere.
Vec3 haze_colour(const World& w, Vec3 dir);

}  // namespace reel::studio::env
