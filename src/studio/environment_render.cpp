#include "studio/environment_render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "reel/core/thread_pool.hpp"
#include "reel/studio/noise.hpp"
#include "studio/environment_atmosphere.hpp"
#include "studio/environment_terrain.hpp"

namespace reel::studio::env {
namespace {

// Narkowicz's fit of the ACES filmic curve: soft highlights, so a sun disk at
// 50x the sky's radiance rolls off to white instead of clipping hard.
float aces(float x) {
  x = std::max(x, 0.0f);
  return clamp01((x * (2.51f * x + 0.03f)) / (x * (2.43f * x + 0.59f) + 0.14f));
}

void tone_map(const World& w, const Frame& f, media::Image& out) {
  float exposure = w.light.exposure;
  reel::parallel_for(static_cast<std::size_t>(f.height), 16, [&](std::size_t b, std::size_t e) {
    for (std::size_t row = b; row < e; ++row) {
      auto* px = out.u8_pixel(0, static_cast<int>(row));
      for (int col = 0; col < f.width; ++col, px += 4) {
        Vec3 c = f.colour[row * f.width + col] * exposure;
        // Ordered dither (from a hash, deterministic) hides banding in smooth skies.
        float d = static_cast<float>(hash64(col, row, 11) >> 40) * (1.0f / 16777216.0f) - 0.5f;
        float v[3] = {c.x, c.y, c.z};
        for (int k = 0; k < 3; ++k) {
          float s = std::pow(aces(v[k]), 1.0f / 2.2f) * 255.0f + d;
          px[k] = static_cast<std::uint8_t>(std::clamp(s + 0.5f, 0.0f, 255.0f));
        }
        px[3] = 255;
      }
    }
  });
}

}  // namespace

Rendered render_environment(const EnvSpec& spec, int width, int height, std::uint64_t seed,
                            const std::function<void(double)>& between) {
  static const bool profile = std::getenv("REEL_ENV_PROFILE") != nullptr;
  std::clock_t c0 = std::clock();
  auto tick = [&](double f) {
    if (profile) {
      std::fprintf(stderr, "  pass %.2f: %.3f cpu-s\n", f,
                   static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
      c0 = std::clock();
    }
    if (between) between(f);
  };
  World w = make_world(spec, width, height, seed);
  Frame frame(width, height);
  std::unique_ptr<Terrain> terrain;
  switch (spec.scene) {
    case Scene::mars:
      terrain = make_mars_terrain(w, false);
      break;
    case Scene::desert:
      terrain = make_mars_terrain(w, true);
      break;
    case Scene::mountains:
      terrain = make_mountain_terrain(w);
      break;
    case Scene::beach:
      terrain = make_beach_terrain(w);
      break;
    case Scene::forest:
      terrain = make_forest_terrain(w);
      break;
    case Scene::city:
      render_city(w, frame);
      break;
    case Scene::space:
      render_space(w, frame);
      break;
    case Scene::studio:
      render_studio(w, frame);
      break;
  }
  if (terrain) {
    place_camera(w, *terrain);
    if (spec.scene == Scene::forest) {
      // Trees first: the floor behind them is then never shaded.
      render_trees(w, *terrain, frame);
      tick(0.3);
    }
    render_terrain(w, *terrain, frame);
  }
  tick(0.6);
  apply_atmosphere(w, frame);
  tick(0.85);

  Rendered r;
  r.image = media::Image(width, height, media::PixelType::u8);
  tone_map(w, frame, r.image);
  tick(0.95);
  r.depth = media::Plane(width, height, kSkyDepth);
  std::copy(frame.depth.begin(), frame.depth.end(), r.depth.data());
  // World (+z forward) to camera space (+z towards the viewer).
  Vec3 d = normalize(w.light.sun_dir);
  r.light.direction = {d.x, d.y, -d.z};
  // Reported in display-referred units (exposure and the tone curve's mid-range
  // gain folded in), so a character lit with albedo * (colour * cos + ambient)
  // and no tone mapping of its own matches the brightness of this backdrop.
  float k = 0.4f * w.light.exposure;
  Vec3 sun = w.light.sun * k, amb = w.light.sky_ambient * k;
  r.light.color = {sun.x, sun.y, sun.z};
  r.light.ambient = {amb.x, amb.y, amb.z};
  r.horizon_y = w.cam.horizon_y;
  return r;
}

}  // namespace reel::studio::env
