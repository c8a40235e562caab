#include "character_proxy.hpp"

#include <algorithm>
#include <cmath>

namespace reel::studio::character {

ScreenBox screen_extent(const Primitive& p, float scale, float ox, float oy) {
  float ex = 0, ey = 0;
  Vec3 c = p.centre;
  switch (p.shape) {
    case Shape::ellipsoid:
      for (int j = 0; j < 3; ++j) {
        float rj = j == 0 ? p.size.x : (j == 1 ? p.size.y : p.size.z);
        ex += (p.rot.m[0][j] * rj) * (p.rot.m[0][j] * rj);
        ey += (p.rot.m[1][j] * rj) * (p.rot.m[1][j] * rj);
      }
      ex = std::sqrt(ex), ey = std::sqrt(ey);
      break;
    case Shape::round_box:
      for (int j = 0; j < 3; ++j) {
        float hj = j == 0 ? p.size.x : (j == 1 ? p.size.y : p.size.z);
        ex += std::fabs(p.rot.m[0][j]) * hj;
        ey += std::fabs(p.rot.m[1][j]) * hj;
      }
      break;
    case Shape::capped_cone:
    case Shape::cylinder: {
      float rr = p.shape == Shape::cylinder ? p.size.x : std::max(p.size.x, p.size.z);
      Vec3 h{rr, p.size.y, rr};
      ex = std::fabs(p.rot.m[0][0]) * h.x + std::fabs(p.rot.m[0][1]) * h.y +
           std::fabs(p.rot.m[0][2]) * h.z;
      ey = std::fabs(p.rot.m[1][0]) * h.x + std::fabs(p.rot.m[1][1]) * h.y +
           std::fabs(p.rot.m[1][2]) * h.z;
      break;
    }
    case Shape::torus:
      ex = ey = p.size.x + p.size.y;
      break;
    case Shape::round_cone: {
      float r = std::max(p.ra, p.rb);
      float xa = std::min(p.centre.x, p.b.x) - r, xb = std::max(p.centre.x, p.b.x) + r;
      float ya = std::min(p.centre.y, p.b.y) - r, yb = std::max(p.centre.y, p.b.y) + r;
      c = {(xa + xb) / 2, (ya + yb) / 2, 0};
      ex = (xb - xa) / 2, ey = (yb - ya) / 2;
      break;
    }
  }
  float m = p.blend * 0.25f;
  ex += m, ey += m;
  return {ox + (c.x - ex) * scale, oy - (c.y + ey) * scale, ox + (c.x + ex) * scale,
          oy - (c.y - ey) * scale};
}

bool proxy_span(const Primitive& p, float X, float Y, float grow, float* z_in, float* z_out) {
  constexpr float kFar = 16.0f;
  const Vec3 ro{X, Y, kFar}, rd{0, 0, -1};
  switch (p.shape) {
    case Shape::ellipsoid: {
      Vec3 r = p.size + Vec3{grow, grow, grow};
      Vec3 o = div(tmul(p.rot, ro - p.centre), r), d = div(tmul(p.rot, rd), r);
      float a = dot(d, d), b = dot(o, d), c = dot(o, o) - 1;
      float h = b * b - a * c;
      if (h < 0) return false;
      h = std::sqrt(h);
      *z_in = kFar - (-b - h) / a, *z_out = kFar - (-b + h) / a;
      return true;
    }
    case Shape::round_cone: {
      float ra = std::max(p.ra, p.rb) + grow;
      Vec3 ba = p.b - p.centre, oa = ro - p.centre;
      float baba = dot(ba, ba), bard = dot(ba, rd), baoa = dot(ba, oa), rdoa = dot(rd, oa),
            oaoa = dot(oa, oa);
      float a = baba - bard * bard;
      float t_in = 1e9f, t_out = -1e9f;
      if (a > 1e-9f) {
        float b = baba * rdoa - baoa * bard;
        float c = baba * oaoa - baoa * baoa - ra * ra * baba;
        float h = b * b - a * c;
        if (h >= 0) {
          h = std::sqrt(h);
          for (float t : {(-b - h) / a, (-b + h) / a}) {
            float y = baoa + t * bard;
            if (y > 0 && y < baba) t_in = std::min(t_in, t), t_out = std::max(t_out, t);
          }
        }
      }
      for (Vec3 cap : {p.centre, p.b}) {
        Vec3 oc = ro - cap;
        float b = dot(rd, oc), c = dot(oc, oc) - ra * ra, h = b * b - c;
        if (h < 0) continue;
        h = std::sqrt(h);
        t_in = std::min(t_in, -b - h), t_out = std::max(t_out, -b + h);
      }
      if (t_out < t_in) return false;
      *z_in = kFar - t_in, *z_out = kFar - t_out;
      return true;
    }
    case Shape::round_box:
    case Shape::capped_cone:
    case Shape::cylinder: {
      float rr = p.shape == Shape::capped_cone ? std::max(p.size.x, p.size.z) : p.size.x;
      Vec3 half = p.shape == Shape::round_box ? p.size : Vec3{rr, p.size.y, rr};
      half = half + Vec3{grow, grow, grow};
      Vec3 o = tmul(p.rot, ro - p.centre), d = tmul(p.rot, rd);
      float t0 = -1e9f, t1 = 1e9f;
      const float oo[3] = {o.x, o.y, o.z}, dd[3] = {d.x, d.y, d.z},
                  hh[3] = {half.x, half.y, half.z};
      for (int k = 0; k < 3; ++k) {
        if (std::fabs(dd[k]) < 1e-9f) {
          if (std::fabs(oo[k]) > hh[k]) return false;
          continue;
        }
        float ta = (-hh[k] - oo[k]) / dd[k], tb = (hh[k] - oo[k]) / dd[k];
        t0 = std::max(t0, std::min(ta, tb)), t1 = std::min(t1, std::max(ta, tb));
      }
      if (t1 < t0) return false;
      *z_in = kFar - t0, *z_out = kFar - t1;
      return true;
    }
    case Shape::torus:
      break;
  }
  float rad = p.bound + grow;
  float dx = X - p.bound_centre.x, dy = Y - p.bound_centre.y;
  float h = rad * rad - dx * dx - dy * dy;
  if (h < 0) return false;
  h = std::sqrt(h);
  *z_in = p.bound_centre.z + h, *z_out = p.bound_centre.z - h;
  return true;
}

}  // namespace reel::studio::character
