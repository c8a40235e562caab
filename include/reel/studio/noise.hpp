#pragma once
// Deterministic randomness for procedural models: the same seed gives the same
// numbers on every machine (no std:: distributions, whose output is
// implementation-defined).
#include <cstdint>

namespace reel::studio {

// SplitMix64-based hash: a well-mixed 64-bit value from inputs.
std::uint64_t hash64(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0);

// Small deterministic RNG.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed ^ 0x9E3779B97F4A7C15ull) {}
  std::uint64_t next_u64();
  float uniform();                    // [0, 1)
  float uniform(float lo, float hi);  // [lo, hi)
  int integer(int lo, int hi_inclusive);
  float normal();  // mean 0, sd 1 (Box-Muller)

 private:
  std::uint64_t state_;
};

// Gradient noise in [-1, 1], smooth, seeded.
float perlin2(float x, float y, std::uint32_t seed);
float perlin3(float x, float y, float z, std::uint32_t seed);
// Fractal sum of octaves (lacunarity 2, gain `gain`), roughly in [-1, 1].
float fbm2(float x, float y, std::uint32_t seed, int octaves, float gain = 0.5f);
float fbm3(float x, float y, float z, std::uint32_t seed, int octaves, float gain = 0.5f);
// Ridged multifractal for mountain ridges, in [0, 1].
float ridged2(float x, float y, std::uint32_t seed, int octaves);
// Cellular (Worley) noise: distance to the nearest feature point, ~[0, 1].
float worley2(float x, float y, std::uint32_t seed);

inline float smoothstep(float e0, float e1, float x) {
  float t = (x - e0) / (e1 - e0);
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  return t * t * (3 - 2 * t);
}
inline float lerp(float a, float b, float t) {
  return a + (b - a) * t;
}
inline float clamp01(float x) {
  return x < 0 ? 0 : (x > 1 ? 1 : x);
}

}  // namespace reel::studio
