#include "studio/environment_rocks.hpp"

#include <cmath>

#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"

namespace reel::studio::env {
namespace {

struct Rock {
  bool present = false;
  float cx = 0, cz = 0, r = 0, h = 0, phase = 0;
  std::uint64_t bits = 0;
};

Rock rock_in_cell(const RockField& f, std::int64_t ix, std::int64_t iz) {
  auto h = hash64(static_cast<std::uint64_t>(ix), static_cast<std::uint64_t>(iz), f.seed);
  Rock r;
  r.present = static_cast<float>(h & 0xFFFF) / 65536.0f < f.probability;
  if (!r.present) return r;
  auto u = [&](int shift) { return static_cast<float>((h >> shift) & 0xFFF) / 4096.0f; };
  float size = u(16);
  r.r = std::fmin(lerp(f.min_radius, f.max_radius, size * size), f.cell * 0.3f);
  float margin = r.r * 1.15f / f.cell + 0.02f;
  r.cx = (static_cast<float>(ix) + margin + u(28) * (1 - 2 * margin)) * f.cell;
  r.cz = (static_cast<float>(iz) + margin + u(40) * (1 - 2 * margin)) * f.cell;
  r.h = r.r * f.height_ratio * (0.6f + 0.8f * u(52));
  if (r.cx * r.cx + r.cz * r.cz < f.clear_radius * f.clear_radius) r.present = false;
  r.phase = static_cast<float>((h >> 4) & 63);  // in 64ths of a turn
  r.bits = hash64(h, 17);
  return r;
}

// A rock is a convex polyhedron: the lowest of six sloped faces around it and a
// tilted top. Flat faces with sharp edges catch the light like real stone.
// Cosine and sine of 1024 angles around the circle: rock faces take their
// directions from here instead of calling trigonometry per pixel.
struct Circle {
  float c[1024], s[1024];
  Circle() {
    for (int i = 0; i < 1024; ++i) {
      c[i] = std::cos(static_cast<float>(i) * 6.2831853f / 1024.0f);
      s[i] = std::sin(static_cast<float>(i) * 6.2831853f / 1024.0f);
    }
  }
};
const Circle& circle() {
  static const Circle table;
  return table;
}

float rock_height(const Rock& r, float x, float z) {
  float dx = x - r.cx, dz = z - r.cz;
  if (dx * dx + dz * dz > r.r * r.r * 1.3f) return 0.0f;
  const Circle& t = circle();
  auto bits = [&](int i) { return static_cast<int>((r.bits >> (i * 5)) & 31); };
  auto u = [&](int i) { return static_cast<float>(bits(i)) / 31.0f; };
  float hgt = r.h * 1.3f;
  int base = static_cast<int>(r.phase) * 16;
  for (int i = 0; i < 6; ++i) {
    // 60 degrees apart (1024 / 6 steps), jittered by up to +-0.4 rad (+-65 steps).
    int a = (base + (i * 1024) / 6 + (bits(i) - 15) * 65 / 15) & 1023;
    float d = dx * t.c[a] + dz * t.s[a];
    // Steep lower faces...
    float reach = r.r * (0.75f + 0.35f * u(i + 6));
    hgt = std::fmin(hgt, r.h / r.r * (1.8f + 2.2f * u(i + 1)) * (reach - d));
    // ...and shallow upper ones (turned 0.52 rad) that meet in ridges, not a flat top.
    int a2 = (a + 85) & 1023;
    float d2 = dx * t.c[a2] + dz * t.s[a2];
    hgt =
        std::fmin(hgt, r.h * (1.0f + 0.25f * u(i + 3)) - r.h / r.r * (0.5f + 0.6f * u(i + 4)) * d2);
  }
  return hgt;
}

}  // namespace

RockSample rock_at(const RockField& f, float x, float z, float footprint) {
  auto ix = static_cast<std::int64_t>(std::floor(x / f.cell));
  auto iz = static_cast<std::int64_t>(std::floor(z / f.cell));
  Rock r = rock_in_cell(f, ix, iz);
  RockSample s;
  if (!r.present || footprint > r.r * 2.0f) return s;
  float hgt = rock_height(r, x, z);
  if (hgt <= 0.0f) return s;
  // Cracks and grain, only where a pixel is small enough to see them.
  if (footprint < r.r * 0.15f)
    hgt += r.r * 0.03f * noise2(x / r.r * 6.0f, z / r.r * 6.0f + r.phase, f.seed + 3);
  s.height = std::fmax(hgt, 0.0f);
  s.coverage = smoothstep(0.0f, std::fmax(footprint * 0.5f, 0.005f), hgt);
  return s;
}

float rock_shadow(const RockField& f, float x, float z, Vec3 sun) {
  float horiz = std::sqrt(sun.x * sun.x + sun.z * sun.z);
  if (horiz < 1e-3f || sun.y <= 0.0f) return 0.0f;
  float sx = sun.x / horiz, sz = sun.z / horiz;
  float tan_el = sun.y / horiz;
  float reach = std::fmin(f.max_radius * f.height_ratio * 1.4f / tan_el, f.cell * 3.0f);
  float shadow = 0;
  std::int64_t last_x = INT64_MIN, last_z = INT64_MIN;
  for (float s = 0; s <= reach + f.cell * 0.5f; s += f.cell * 0.5f) {
    auto ix = static_cast<std::int64_t>(std::floor((x + sx * s) / f.cell));
    auto iz = static_cast<std::int64_t>(std::floor((z + sz * s) / f.cell));
    if (ix == last_x && iz == last_z) continue;
    last_x = ix;
    last_z = iz;
    Rock r = rock_in_cell(f, ix, iz);
    if (!r.present) continue;
    float dx = r.cx - x, dz = r.cz - z;
    if (rock_height(r, x, z) > 0.0f) continue;  // on the rock: Lambert shades it
    float t = dx * sx + dz * sz;                // along the ray towards the sun
    float perp = std::fabs(dx * sz - dz * sx);
    float len = r.h / tan_el;
    if (t < -r.r || t > len + r.r) continue;
    // The shadow narrows towards its tip as the rock's profile does.
    float along = clamp01(t / (len + r.r));
    float width = r.r * (1.0f - 0.65f * along * along);
    float k = smoothstep(width, width * 0.55f, perp) * smoothstep(-r.r, -r.r * 0.3f, t);
    shadow = std::fmax(shadow, k);
  }
  return shadow;
}

}  // namespace reel::studio::env
