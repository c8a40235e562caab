#pragma once
// The 3-vector the studio renderers share (character and environment): float only,
// inline, no allocation. Each renderer adds its own helpers in its own namespace.
#include <cmath>

namespace reel::studio {

struct Vec3 {
  float x = 0, y = 0, z = 0;
};

inline Vec3 operator+(Vec3 a, Vec3 b) {
  return {a.x + b.x, a.y + b.y, a.z + b.z};
}
inline Vec3 operator-(Vec3 a, Vec3 b) {
  return {a.x - b.x, a.y - b.y, a.z - b.z};
}
inline Vec3 operator*(Vec3 a, float s) {
  return {a.x * s, a.y * s, a.z * s};
}
inline Vec3 operator*(float s, Vec3 a) {
  return a * s;
}
inline float dot(Vec3 a, Vec3 b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline float length(Vec3 a) {
  return std::sqrt(dot(a, a));
}

}  // namespace reel::studio
