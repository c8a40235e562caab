#pragma once
// Small vector maths for the studio-environment renderer. World space: +x right,
// +y up, +z forward (the camera looks along +z); units are metres.
#include <cmath>

#include "studio/vec3.hpp"

namespace reel::studio::env {

using studio::Vec3;

inline Vec3 operator*(Vec3 a, Vec3 b) {
  return {a.x * b.x, a.y * b.y, a.z * b.z};
}
inline Vec3& operator+=(Vec3& a, Vec3 b) {
  return a = a + b;
}
inline Vec3& operator*=(Vec3& a, float s) {
  return a = a * s;
}
inline Vec3 normalize(Vec3 a) {
  float l = length(a);
  return l > 0 ? a * (1.0f / l) : Vec3{0, 1, 0};
}
inline Vec3 mix(Vec3 a, Vec3 b, float t) {
  return a + (b - a) * t;
}
inline float luminance(Vec3 c) {
  return 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z;
}

// Colours are picked by eye in display (sRGB-like) values and rendered in linear
// light, so every palette constant goes through this.
inline Vec3 srgb(float r, float g, float b) {
  return {std::pow(r, 2.2f), std::pow(g, 2.2f), std::pow(b, 2.2f)};
}

// Direction from elevation and azimuth (degrees); azimuth 0 = straight ahead,
// positive to the right.
inline Vec3 direction_deg(float elevation, float azimuth) {
  const float k = 3.14159265f / 180.0f;
  float ce = std::cos(elevation * k);
  return {ce * std::sin(azimuth * k), std::sin(elevation * k), ce * std::cos(azimuth * k)};
}

}  // namespace reel::studio::env
