#pragma once
// Exact widenings of the small float formats checkpoints store to float32. Each is
// written from the format's definition (sign, biased exponent, mantissa) rather than
// a library, so the result is the same on every machine and compiler.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace reel::neural {

// IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa; subnormals, inf, NaN.
inline float f16_to_f32(std::uint16_t bits) {
  const bool negative = (bits & 0x8000u) != 0;
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? std::numeric_limits<float>::infinity()
                              : std::numeric_limits<float>::quiet_NaN();
  } else {
    magnitude = std::ldexp(static_cast<float>(1024 + mantissa), exponent - 25);
  }
  return negative ? -magnitude : magnitude;
}

// bfloat16 is the top half of a float32, so widening is a shift.
inline float bf16_to_f32(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

// float8 e4m3fn (OCP FP8): 1 sign, 4 exponent (bias 7), 3 mantissa; subnormals; no
// infinities; S.1111.111 is NaN, so the largest finite value is 448.
inline float f8_e4m3_to_f32(std::uint8_t bits) {
  const bool negative = (bits & 0x80u) != 0;
  const int exponent = (bits >> 3) & 0xF;
  const int mantissa = bits & 0x7;
  float magnitude;
  if (exponent == 15 && mantissa == 7) {
    magnitude = std::numeric_limits<float>::quiet_NaN();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -9);
  } else {
    magnitude = std::ldexp(static_cast<float>(8 + mantissa), exponent - 10);
  }
  return negative ? -magnitude : magnitude;
}

}  // namespace reel::neural
