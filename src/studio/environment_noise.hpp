#pragma once
// Inline gradient noise for the environment renderer's per-pixel loops. Same
// construction as reel/studio/noise.hpp (Perlin with a quintic fade, fbm, ridged
// multifractal), but inlined and with a shorter integer hash: these calls are
// about half of the renderer's time, and the shared versions sit behind a call.
#include <cmath>
#include <cstdint>

namespace reel::studio::env {

inline std::uint32_t lattice_hash(std::int32_t x, std::int32_t y, std::uint32_t seed) {
  std::uint32_t h = seed * 0x27d4eb2dU ^ static_cast<std::uint32_t>(x) * 0x8da6b343U ^
                    static_cast<std::uint32_t>(y) * 0xd8163841U;
  h ^= h >> 15;
  h *= 0x2c1b3c6dU;
  h ^= h >> 13;
  return h;
}

inline float lattice_grad(std::uint32_t h, float x, float y) {
  // 8 directions: the diagonals and the axes.
  static constexpr float gx[8] = {1, 1, -1, -1, 1, -1, 0, 0};
  static constexpr float gy[8] = {1, -1, 1, -1, 0, 0, 1, -1};
  unsigned k = (h >> 28) & 7;
  return gx[k] * x + gy[k] * y;
}

// Gradient noise in about [-1, 1].
inline float noise2(float x, float y, std::uint32_t seed) {
  float fx = std::floor(x), fy = std::floor(y);
  auto ix = static_cast<std::int32_t>(fx), iy = static_cast<std::int32_t>(fy);
  float dx = x - fx, dy = y - fy;
  float u = dx * dx * dx * (dx * (dx * 6 - 15) + 10);
  float v = dy * dy * dy * (dy * (dy * 6 - 15) + 10);
  float n00 = lattice_grad(lattice_hash(ix, iy, seed), dx, dy);
  float n10 = lattice_grad(lattice_hash(ix + 1, iy, seed), dx - 1, dy);
  float n01 = lattice_grad(lattice_hash(ix, iy + 1, seed), dx, dy - 1);
  float n11 = lattice_grad(lattice_hash(ix + 1, iy + 1, seed), dx - 1, dy - 1);
  float a = n00 + (n10 - n00) * u, b = n01 + (n11 - n01) * u;
  return (a + (b - a) * v) * 0.7071f;
}

// Fractal sum of `octaves` octaves (lacunarity 2), roughly in [-1, 1].
inline float fbm(float x, float y, std::uint32_t seed, int octaves, float gain = 0.5f) {
  float sum = 0, amp = 1, norm = 0;
  for (int i = 0; i < octaves; ++i) {
    sum += amp * noise2(x, y, seed + static_cast<std::uint32_t>(i) * 1013u);
    norm += amp;
    amp *= gain;
    x = x * 2.0f + 17.1f;
    y = y * 2.0f + 9.3f;
  }
  return sum / norm;
}

// Ridged multifractal in [0, 1] (sharp crests), for mountains.
inline float ridged(float x, float y, std::uint32_t seed, int octaves) {
  float sum = 0, amp = 0.5f, norm = 0, weight = 1;
  for (int i = 0; i < octaves; ++i) {
    float n = 1.0f - std::fabs(noise2(x, y, seed + static_cast<std::uint32_t>(i) * 7919u) * 1.4f);
    n = n * n * weight;
    weight = n * 2.0f < 0 ? 0 : (n * 2.0f > 1 ? 1 : n * 2.0f);
    sum += n * amp;
    norm += amp;
    amp *= 0.5f;
    x *= 2.0f;
    y *= 2.0f;
  }
  float r = sum / norm;
  return r < 0 ? 0 : (r > 1 ? 1 : r);
}

}  // namespace reel::studio::env
