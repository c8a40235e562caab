#pragma once
// Small 3D vector/rotation helpers for the procedural character renderer. Kept
// private to studio-character; float only, inline, no allocation.
#include <cmath>

#include "studio/vec3.hpp"

namespace reel::studio::character {

using studio::Vec3;

inline Vec3 operator-(Vec3 a) {
  return {-a.x, -a.y, -a.z};
}
inline Vec3 mul(Vec3 a, Vec3 b) {
  return {a.x * b.x, a.y * b.y, a.z * b.z};
}
inline Vec3 div(Vec3 a, Vec3 b) {
  return {a.x / b.x, a.y / b.y, a.z / b.z};
}
inline Vec3 cross(Vec3 a, Vec3 b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline Vec3 normalize(Vec3 a) {
  float l = length(a);
  return l > 0 ? a * (1.0f / l) : Vec3{0, 0, 1};
}
inline Vec3 vmix(Vec3 a, Vec3 b, float t) {
  return a + (b - a) * t;
}
inline Vec3 vabs(Vec3 a) {
  return {std::fabs(a.x), std::fabs(a.y), std::fabs(a.z)};
}
inline Vec3 vmax(Vec3 a, float m) {
  return {a.x > m ? a.x : m, a.y > m ? a.y : m, a.z > m ? a.z : m};
}

// Row-major 3x3 rotation; columns are the local axes expressed in the parent frame.
struct Mat3 {
  float m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
};

inline Vec3 operator*(const Mat3& r, Vec3 v) {
  return {r.m[0][0] * v.x + r.m[0][1] * v.y + r.m[0][2] * v.z,
          r.m[1][0] * v.x + r.m[1][1] * v.y + r.m[1][2] * v.z,
          r.m[2][0] * v.x + r.m[2][1] * v.y + r.m[2][2] * v.z};
}
// Transpose times v: parent → local for a rotation.
inline Vec3 tmul(const Mat3& r, Vec3 v) {
  return {r.m[0][0] * v.x + r.m[1][0] * v.y + r.m[2][0] * v.z,
          r.m[0][1] * v.x + r.m[1][1] * v.y + r.m[2][1] * v.z,
          r.m[0][2] * v.x + r.m[1][2] * v.y + r.m[2][2] * v.z};
}
inline Mat3 operator*(const Mat3& a, const Mat3& b) {
  Mat3 r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      r.m[i][j] = a.m[i][0] * b.m[0][j] + a.m[i][1] * b.m[1][j] + a.m[i][2] * b.m[2][j];
  return r;
}
inline Mat3 rot_x(float a) {
  float c = std::cos(a), s = std::sin(a);
  Mat3 r;
  r.m[1][1] = c, r.m[1][2] = -s, r.m[2][1] = s, r.m[2][2] = c;
  return r;
}
inline Mat3 rot_y(float a) {
  float c = std::cos(a), s = std::sin(a);
  Mat3 r;
  r.m[0][0] = c, r.m[0][2] = s, r.m[2][0] = -s, r.m[2][2] = c;
  return r;
}
inline Mat3 rot_z(float a) {
  float c = std::cos(a), s = std::sin(a);
  Mat3 r;
  r.m[0][0] = c, r.m[0][1] = -s, r.m[1][0] = s, r.m[1][1] = c;
  return r;
}

// Rotation by angle `a` about the unit axis `u` (right-handed).
inline Mat3 rot_axis(Vec3 u, float a) {
  float c = std::cos(a), s = std::sin(a), t = 1 - c;
  Mat3 r;
  r.m[0][0] = t * u.x * u.x + c, r.m[0][1] = t * u.x * u.y - s * u.z,
  r.m[0][2] = t * u.x * u.z + s * u.y;
  r.m[1][0] = t * u.x * u.y + s * u.z, r.m[1][1] = t * u.y * u.y + c,
  r.m[1][2] = t * u.y * u.z - s * u.x;
  r.m[2][0] = t * u.x * u.z - s * u.y, r.m[2][1] = t * u.y * u.z + s * u.x,
  r.m[2][2] = t * u.z * u.z + c;
  return r;
}

// A rotation whose local y axis points along the unit vector `d`.
inline Mat3 align_y(Vec3 d) {
  Vec3 ref = std::fabs(d.x) < 0.9f ? Vec3{1, 0, 0} : Vec3{0, 0, 1};
  Vec3 z = normalize(cross(ref, d));
  Vec3 x = cross(d, z);
  Mat3 r;
  r.m[0][0] = x.x, r.m[1][0] = x.y, r.m[2][0] = x.z;
  r.m[0][1] = d.x, r.m[1][1] = d.y, r.m[2][1] = d.z;
  r.m[0][2] = z.x, r.m[1][2] = z.y, r.m[2][2] = z.z;
  return r;
}
// A rotation whose local z axis points along the unit vector `n` (flat decals).
inline Mat3 align_z(Vec3 n) {
  Vec3 ref = std::fabs(n.y) < 0.9f ? Vec3{0, 1, 0} : Vec3{1, 0, 0};
  Vec3 x = normalize(cross(ref, n));
  Vec3 y = cross(n, x);
  Mat3 r;
  r.m[0][0] = x.x, r.m[1][0] = x.y, r.m[2][0] = x.z;
  r.m[0][1] = y.x, r.m[1][1] = y.y, r.m[2][1] = y.z;
  r.m[0][2] = n.x, r.m[1][2] = n.y, r.m[2][2] = n.z;
  return r;
}

// Rigid transform: p' = rot * p + move.
struct Xform {
  Mat3 rot;
  Vec3 move;
  Vec3 apply(Vec3 p) const { return rot * p + move; }
};
inline Xform operator*(const Xform& a, const Xform& b) {
  return {a.rot * b.rot, a.apply(b.move)};
}
// Rotation `r` about the point `pivot`.
inline Xform about(Vec3 pivot, const Mat3& r) {
  return {r, pivot - r * pivot};
}

}  // namespace reel::studio::character
