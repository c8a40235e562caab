// Depth-aware atmosphere over a rendered frame: height fog (colour matched to the
// sky's horizon in that direction), the Martian dust wall, rain streaks and snow.
#include "studio/environment_atmosphere.hpp"

#include <cmath>

#include "reel/core/thread_pool.hpp"
#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"

namespace reel::studio::env {
namespace {

// Optical depth of exponential height fog along a ray (closed form).
float optical_depth(const Atmosphere& a, float cam_y, Vec3 dir, float dist) {
  if (a.fog_density <= 0) return 0;
  float base = a.fog_density * std::exp(-cam_y / a.fog_height);
  float k = dir.y / a.fog_height;
  if (std::fabs(k * dist) < 1e-4f) return base * dist;
  return base * (1.0f - std::exp(-k * dist)) / k;
}

struct Layer {
  float size, length, thickness, strength, depth, density;
};

float hash01(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return static_cast<float>(hash64(a, b, c) >> 40) * (1.0f / 16777216.0f);
}

// Rain: thin slanted streaks on a few depth layers; a layer only covers pixels
// whose scene lies behind it.
float rain_alpha(const World& w, float x, float y, float depth) {
  float s = static_cast<float>(w.cam.height) / 720.0f;
  static const Layer layers[] = {{9, 110, 1.3f, 0.55f, 2.5f, 0.10f},
                                 {5, 60, 0.9f, 0.45f, 7.0f, 0.14f},
                                 {3, 30, 0.6f, 0.35f, 18.0f, 0.18f}};
  float out = 0;
  int li = 0;
  for (const auto& L : layers) {
    ++li;
    if (depth < L.depth) continue;
    float cw = L.size * s, len = L.length * s, period = len * 3.5f;
    float xs = x + y * 0.14f;
    float col = std::floor(xs / cw);
    auto c = static_cast<std::uint64_t>(static_cast<std::int64_t>(col));
    float yy = y + hash01(c, 1, w.seed + li) * period;
    float seg = std::floor(yy / period);
    auto sg = static_cast<std::uint64_t>(static_cast<std::int64_t>(seg));
    if (hash01(c, sg, w.seed + 10 + li) > L.density * w.atmo.rain * 2.5f) continue;
    float start = hash01(c, sg, w.seed + 20 + li) * (period - len);
    float along = (yy - seg * period - start) / len;
    if (along < 0 || along > 1) continue;
    float cx = (col + 0.2f + 0.6f * hash01(c, sg, w.seed + 30 + li)) * cw;
    float dx = std::fabs(xs - cx);
    float a = smoothstep(L.thickness * s + 0.5f, 0.0f, dx) * std::sin(along * 3.14159f);
    out = std::fmax(out, a * L.strength);
  }
  return out;
}

float snow_alpha(const World& w, float x, float y, float depth) {
  float s = static_cast<float>(w.cam.height) / 720.0f;
  static const Layer layers[] = {{46, 0, 4.0f, 0.9f, 2.5f, 0.22f},
                                 {24, 0, 2.2f, 0.85f, 7.0f, 0.3f},
                                 {12, 0, 1.2f, 0.7f, 18.0f, 0.4f}};
  float out = 0;
  int li = 0;
  for (const auto& L : layers) {
    ++li;
    if (depth < L.depth) continue;
    float cell = L.size * s;
    // Flakes drift: shear the grid a little so rows do not line up.
    float fx = x / cell + y / cell * 0.2f, fy = y / cell;
    float ix = std::floor(fx), iy = std::floor(fy);
    auto hx = static_cast<std::uint64_t>(static_cast<std::int64_t>(ix));
    auto hy = static_cast<std::uint64_t>(static_cast<std::int64_t>(iy));
    if (hash01(hx, hy, w.seed + 40 + li) > L.density * w.atmo.snow * 1.8f) continue;
    float r = L.thickness * s * (0.6f + 0.8f * hash01(hx, hy, w.seed + 50 + li));
    float m = r / cell + 0.05f;
    float px = ix + m + (1 - 2 * m) * hash01(hx, hy, w.seed + 60 + li);
    float py = iy + m + (1 - 2 * m) * hash01(hx, hy, w.seed + 70 + li);
    float d = std::sqrt((fx - px) * (fx - px) + (fy - py) * (fy - py)) * cell;
    out = std::fmax(out, smoothstep(r + 0.6f, r * 0.3f, d) * L.strength);
  }
  return out;
}

}  // namespace

DustWallSample dust_wall_at(const World& w, Vec3 dir) {
  const Atmosphere& a = w.atmo;
  DustWallSample out;
  float horiz = std::sqrt(dir.x * dir.x + dir.z * dir.z);
  if (horiz < 1e-4f) return out;
  float D = a.wall_distance;
  float y = w.cam.pos.y + D * dir.y / horiz;  // height where the ray meets the wall
  float phi = std::atan2(dir.x, dir.z);
  float s = phi * D;  // metres along the wall
  // The front is tallest slightly left of centre and tapers off to the sides.
  float env = 0.45f + 0.55f * std::exp(-((phi + 0.15f) / 0.65f) * ((phi + 0.15f) / 0.65f));
  float hw = a.wall_height * env * (0.8f + 0.35f * fbm(s / 2500.0f, 0.5f, w.seed + 200, 3));
  float v = y / hw;
  if (v > 1.6f) return out;
  // Density: full at the base, thinning upwards, with billows (fbm, warped so
  // they roll) pushing out of the top. Heads of billows are the soft bulges.
  float bs = hw * 0.55f;
  float warp = 0.6f * fbm(s / bs * 0.35f, y / bs * 0.35f, w.seed + 210, 2);
  auto density = [&](float ss, float yy) {
    float n = fbm(ss / bs + warp, yy / bs * 1.2f + warp, w.seed + 220, 5, 0.5f);
    return (1.0f - yy / hw) + 0.45f * n;
  };
  float dens = density(s, y);
  out.alpha = smoothstep(0.0f, 0.12f, dens);
  if (out.alpha <= 0) return out;
  // Lit where the density falls off towards the sun (a directional derivative),
  // so billows read as round, sunlit heads over shadowed folds.
  Vec3 sun = w.light.sun_dir;
  float step = bs * 0.08f;
  float toward = density(s + sun.x * step * 2.0f, y + std::fmax(sun.y, 0.3f) * step * 2.0f);
  float lit = clamp01(0.4f + (dens - toward) * 8.0f) * (0.4f + 0.6f * clamp01(v));
  Vec3 dark = srgb(0.30f, 0.16f, 0.09f), light = srgb(0.80f, 0.50f, 0.30f);
  if (w.spec.scene == Scene::desert) {
    dark = srgb(0.42f, 0.30f, 0.18f);
    light = srgb(0.85f, 0.68f, 0.48f);
  }
  Vec3 albedo = mix(dark, light, lit);
  out.colour = albedo * (w.light.sun * (0.15f + 0.45f * lit) + w.light.sky_ambient * 0.8f);
  // Far walls take on the haze; the base merges into the dusty ground.
  float fog = 1.0f - std::exp(-optical_depth(a, w.cam.pos.y, dir, D) * 0.5f);
  out.colour = mix(out.colour, haze_colour(w, dir), fog * 0.4f + 0.2f * smoothstep(0.2f, 0.0f, v));
  return out;
}

void apply_atmosphere(const World& w, Frame& f) {
  const Atmosphere& a = w.atmo;
  const Camera& cam = w.cam;
  bool sky_fog = w.spec.weather == Weather::fog || w.spec.weather == Weather::rain ||
                 w.spec.weather == Weather::snow ||
                 (w.spec.weather == Weather::dust_storm && !a.dust_wall);
  reel::parallel_for(static_cast<std::size_t>(f.height), 8, [&](std::size_t b, std::size_t e) {
    for (std::size_t row = b; row < e; ++row) {
      for (int col = 0; col < f.width; ++col) {
        std::size_t i = row * f.width + col;
        float px = static_cast<float>(col) + 0.5f, py = static_cast<float>(row) + 0.5f;
        Vec3 dir = cam.ray(px, py);
        Vec3& c = f.colour[i];
        float depth = f.depth[i];
        bool sky = f.surface[i] == Surface::sky;
        if (!sky || sky_fog) {
          float dist = sky ? 1.0e5f : depth;
          float tau = optical_depth(a, cam.pos.y, dir, dist);
          if (tau > 0) c = mix(c, haze_colour(w, dir), 1.0f - std::exp(-tau));
        }
        if (a.dust_wall && (sky || depth > a.wall_distance)) {
          DustWallSample d = dust_wall_at(w, dir);
          if (d.alpha > 0) {
            c = mix(c, d.colour, d.alpha);
            if (d.alpha > 0.5f) {
              f.depth[i] = a.wall_distance;
              f.surface[i] = Surface::object;
            }
          }
        }
        if (a.rain > 0) {
          float r = rain_alpha(w, px, py, depth);
          if (r > 0) c = mix(c, haze_colour(w, dir) * 1.6f + Vec3{0.05f, 0.05f, 0.05f}, r * 0.6f);
        }
        if (a.snow > 0) {
          float s = snow_alpha(w, px, py, depth);
          Vec3 flake = w.light.sky_ambient * 1.4f + w.light.sun * 0.35f;
          if (s > 0) c = mix(c, flake, s);
        }
      }
    }
  });
}

}  // namespace reel::studio::env
