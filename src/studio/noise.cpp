#include "reel/studio/noise.hpp"

#include <cmath>

namespace reel::studio {
namespace {

inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline std::uint32_t hash3(std::int32_t x, std::int32_t y, std::int32_t z, std::uint32_t seed) {
  std::uint32_t h = seed * 0x27d4eb2dU;
  h ^= static_cast<std::uint32_t>(x) * 0x8da6b343U;
  h ^= static_cast<std::uint32_t>(y) * 0xd8163841U;
  h ^= static_cast<std::uint32_t>(z) * 0xcb1ab31fU;
  h ^= h >> 15;
  h *= 0x2c1b3c6dU;
  h ^= h >> 12;
  h *= 0x297a2d39U;
  h ^= h >> 15;
  return h;
}

inline float fade(float t) {
  return t * t * t * (t * (t * 6 - 15) + 10);
}

inline float grad2(std::uint32_t h, float x, float y) {
  // 8 directions on the unit circle (scaled).
  switch (h & 7) {
    case 0:
      return x + y;
    case 1:
      return x - y;
    case 2:
      return -x + y;
    case 3:
      return -x - y;
    case 4:
      return x;
    case 5:
      return -x;
    case 6:
      return y;
    default:
      return -y;
  }
}

inline float grad3(std::uint32_t h, float x, float y, float z) {
  switch (h % 12) {
    case 0:
      return x + y;
    case 1:
      return -x + y;
    case 2:
      return x - y;
    case 3:
      return -x - y;
    case 4:
      return x + z;
    case 5:
      return -x + z;
    case 6:
      return x - z;
    case 7:
      return -x - z;
    case 8:
      return y + z;
    case 9:
      return -y + z;
    case 10:
      return y - z;
    default:
      return -y - z;
  }
}

}  // namespace

std::uint64_t hash64(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return mix(mix(mix(a + 0x9E3779B97F4A7C15ull) ^ b) ^ c);
}

std::uint64_t Rng::next_u64() {
  state_ += 0x9E3779B97F4A7C15ull;
  return mix(state_);
}

float Rng::uniform() {
  return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f);
}
float Rng::uniform(float lo, float hi) {
  return lo + (hi - lo) * uniform();
}
int Rng::integer(int lo, int hi) {
  return lo + static_cast<int>(next_u64() % static_cast<std::uint64_t>(hi - lo + 1));
}
float Rng::normal() {
  float u1 = uniform();
  if (u1 < 1e-7f) u1 = 1e-7f;
  float u2 = uniform();
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
}

float perlin2(float x, float y, std::uint32_t seed) {
  float fx = std::floor(x), fy = std::floor(y);
  auto ix = static_cast<std::int32_t>(fx), iy = static_cast<std::int32_t>(fy);
  float dx = x - fx, dy = y - fy;
  float u = fade(dx), v = fade(dy);
  float n00 = grad2(hash3(ix, iy, 0, seed), dx, dy);
  float n10 = grad2(hash3(ix + 1, iy, 0, seed), dx - 1, dy);
  float n01 = grad2(hash3(ix, iy + 1, 0, seed), dx, dy - 1);
  float n11 = grad2(hash3(ix + 1, iy + 1, 0, seed), dx - 1, dy - 1);
  float r = lerp(lerp(n00, n10, u), lerp(n01, n11, u), v);
  return r * 0.7071f;
}

float perlin3(float x, float y, float z, std::uint32_t seed) {
  float fx = std::floor(x), fy = std::floor(y), fz = std::floor(z);
  auto ix = static_cast<std::int32_t>(fx), iy = static_cast<std::int32_t>(fy),
       iz = static_cast<std::int32_t>(fz);
  float dx = x - fx, dy = y - fy, dz = z - fz;
  float u = fade(dx), v = fade(dy), w = fade(dz);
  auto g = [&](int ox, int oy, int oz) {
    return grad3(hash3(ix + ox, iy + oy, iz + oz, seed), dx - ox, dy - oy, dz - oz);
  };
  float x00 = lerp(g(0, 0, 0), g(1, 0, 0), u), x10 = lerp(g(0, 1, 0), g(1, 1, 0), u);
  float x01 = lerp(g(0, 0, 1), g(1, 0, 1), u), x11 = lerp(g(0, 1, 1), g(1, 1, 1), u);
  return lerp(lerp(x00, x10, v), lerp(x01, x11, v), w) * 0.7071f;
}

float fbm2(float x, float y, std::uint32_t seed, int octaves, float gain) {
  float sum = 0, amp = 1, norm = 0;
  for (int i = 0; i < octaves; ++i) {
    sum += amp * perlin2(x, y, seed + static_cast<std::uint32_t>(i) * 1013u);
    norm += amp;
    amp *= gain;
    x = x * 2.0f + 17.1f;  // offsets decorrelate octaves
    y = y * 2.0f + 9.3f;
  }
  return sum / norm;
}

float fbm3(float x, float y, float z, std::uint32_t seed, int octaves, float gain) {
  float sum = 0, amp = 1, norm = 0;
  for (int i = 0; i < octaves; ++i) {
    sum += amp * perlin3(x, y, z, seed + static_cast<std::uint32_t>(i) * 1013u);
    norm += amp;
    amp *= gain;
    x = x * 2.0f + 17.1f;
    y = y * 2.0f + 9.3f;
    z = z * 2.0f + 3.7f;
  }
  return sum / norm;
}

float ridged2(float x, float y, std::uint32_t seed, int octaves) {
  float sum = 0, amp = 0.5f, norm = 0, weight = 1;
  for (int i = 0; i < octaves; ++i) {
    float n = 1.0f - std::fabs(perlin2(x, y, seed + static_cast<std::uint32_t>(i) * 7919u) * 1.4f);
    n = n * n * weight;
    weight = clamp01(n * 2.0f);
    sum += n * amp;
    norm += amp;
    amp *= 0.5f;
    x *= 2.0f;
    y *= 2.0f;
  }
  return clamp01(sum / norm);
}

float worley2(float x, float y, std::uint32_t seed) {
  float fx = std::floor(x), fy = std::floor(y);
  auto ix = static_cast<std::int32_t>(fx), iy = static_cast<std::int32_t>(fy);
  float best = 4.0f;
  for (int oy = -1; oy <= 1; ++oy)
    for (int ox = -1; ox <= 1; ++ox) {
      std::uint32_t h = hash3(ix + ox, iy + oy, 7, seed);
      float px = ox + (h & 0xFFFF) / 65535.0f - (x - fx);
      float py = oy + (h >> 16) / 65535.0f - (y - fy);
      best = std::fmin(best, px * px + py * py);
    }
  return std::fmin(1.0f, std::sqrt(best));
}

}  // namespace reel::studio
