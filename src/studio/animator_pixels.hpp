#pragma once
// Small pixel kernels the animator's per-frame loops are built from. Frames are
// RGBA8 (what the encoder takes); moving layers are f32 with premultiplied alpha
// so bilinear sampling does not bleed dark fringes at their edges.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "reel/media/image.hpp"

namespace reel::studio::detail {

// Resizes the crop [x0, x0+w) x [y0, y0+h) of `src` (u8 or f32, straight alpha) to
// dw x dh, averaging enough taps per output pixel that large downscales do not
// alias. Returns f32, premultiplied alpha.
media::Image resize_premultiplied(const media::Image& src, int x0, int y0, int w, int h, int dw,
                                  int dh);
// Straight-alpha u8 resize of a whole image (for backgrounds).
media::Image resize_u8(const media::Image& src, int dw, int dh);
// Bilinear resize of a float plane.
media::Plane resize_plane(const media::Plane& src, int dw, int dh);

// Bilinear sample of a premultiplied f32 image; outside is transparent.
inline void sample_premultiplied(const media::Image& img, float x, float y, float out[4]) {
  x -= 0.5f;
  y -= 0.5f;
  const int w = img.width(), h = img.height();
  const float fx = std::floor(x), fy = std::floor(y);
  const int ix = static_cast<int>(fx), iy = static_cast<int>(fy);
  const float ax = x - fx, ay = y - fy;
  out[0] = out[1] = out[2] = out[3] = 0;
  if (ix < -1 || iy < -1 || ix >= w || iy >= h) return;
  const float* base = img.f32();
  const float wts[4] = {(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay};
  const int xs[4] = {ix, ix + 1, ix, ix + 1};
  const int ys[4] = {iy, iy, iy + 1, iy + 1};
  for (int k = 0; k < 4; ++k) {
    if (xs[k] < 0 || ys[k] < 0 || xs[k] >= w || ys[k] >= h) continue;
    const float* p = base + (static_cast<std::size_t>(ys[k]) * w + xs[k]) * 4;
    for (int c = 0; c < 4; ++c) out[c] += wts[k] * p[c];
  }
}

// Blends premultiplied colour (0..1) over an opaque RGBA8 pixel.
inline void over_premultiplied(std::uint8_t* dst, const float src[4]) {
  const float k = 1.0f - src[3];
  for (int c = 0; c < 3; ++c) {
    const float v = src[c] * 255.0f + dst[c] * k;
    dst[c] = static_cast<std::uint8_t>(std::min(255.0f, v) + 0.5f);
  }
}

// Blends a straight colour (0..1) with coverage `a` over an RGBA8 pixel.
inline void blend_straight(std::uint8_t* dst, const float rgb[3], float a) {
  for (int c = 0; c < 3; ++c) {
    const float v = dst[c] + (rgb[c] * 255.0f - dst[c]) * a;
    dst[c] = static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f) + 0.5f);
  }
}

inline float plane_at_clamped(const media::Plane& p, int x, int y) {
  x = std::clamp(x, 0, p.width() - 1);
  y = std::clamp(y, 0, p.height() - 1);
  return p.at(x, y);
}

}  // namespace reel::studio::detail
