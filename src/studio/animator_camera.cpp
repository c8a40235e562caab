#include "studio/animator_camera.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace reel::studio::detail {

media::Plane parallax_from_depth(const media::Plane& depth, float d_ref) {
  media::Plane out(depth.width(), depth.height());
  const float* d = depth.data();
  float* o = out.data();
  const std::size_t n = static_cast<std::size_t>(depth.width()) * depth.height();
  for (std::size_t i = 0; i < n; ++i) {
    const float v = d[i];
    o[i] = (std::isfinite(v) && v > 0) ? std::min(kMaxParallax, d_ref / v) : 0.0f;
  }
  return out;
}

float overscan_for(const MotionTimeline& timeline, int frames, double fps, int width, int height) {
  if (!timeline.camera_moves()) return 1.0f;
  float need_x = 0, need_y = 0;
  for (int i = 0; i < frames; ++i) {
    const CameraState c = timeline.camera_at(i / fps);
    for (float f : {0.0f, 0.5f, 1.0f, kMaxParallax}) {
      need_x = std::max(need_x, std::fabs(c.shift_x(f)));
      need_y = std::max(need_y, std::fabs(c.shift_y(f)));
    }
  }
  // Scaling about the centre by s reveals (s-1)*W/2 px of slack on each side.
  return 1.0f + std::max(2.0f * need_x / width, 2.0f * need_y / height) +
         2.0f / std::min(width, height);
}

void render_backdrop(const Backdrop& b, const CameraState& c, bool camera_moves,
                     media::Image& frame) {
  const int w = b.rgba.width(), h = b.rgba.height();
  if (!camera_moves && b.overscan == 1.0f) {
    std::memcpy(frame.u8(), b.rgba.u8(), b.rgba.pixel_count() * 4);
    return;
  }
  const std::uint8_t* src = b.rgba.u8();
  std::uint8_t* dst = frame.u8();
  const bool flat = b.parallax.empty();
  for (int y = 0; y < h; ++y) {
    std::uint8_t* row = dst + static_cast<std::size_t>(y) * w * 4;
    const float py = y + 0.5f;
    for (int x = 0; x < w; ++x) {
      const float px = x + 0.5f;
      float sx, sy;
      if (flat) {
        b.inverse(c, 1.0f, px, py, sx, sy);
      } else {
        // Backward warp needs the depth of the pixel that lands here; two
        // fixed-point steps (start from the depth under the output pixel) are
        // enough for the small shifts a camera move makes.
        float f = b.f_at(x, y);
        b.inverse(c, f, px, py, sx, sy);
        f = b.f_at(static_cast<int>(sx), static_cast<int>(sy));
        b.inverse(c, f, px, py, sx, sy);
      }
      sx -= 0.5f;
      sy -= 0.5f;
      sx = std::clamp(sx, 0.0f, w - 1.001f);
      sy = std::clamp(sy, 0.0f, h - 1.001f);
      const int ix = static_cast<int>(sx), iy = static_cast<int>(sy);
      const int ax = static_cast<int>((sx - ix) * 256.0f),
                ay = static_cast<int>((sy - iy) * 256.0f);
      const int ix1 = std::min(ix + 1, w - 1), iy1 = std::min(iy + 1, h - 1);
      const std::uint8_t* p00 = src + (static_cast<std::size_t>(iy) * w + ix) * 4;
      const std::uint8_t* p10 = src + (static_cast<std::size_t>(iy) * w + ix1) * 4;
      const std::uint8_t* p01 = src + (static_cast<std::size_t>(iy1) * w + ix) * 4;
      const std::uint8_t* p11 = src + (static_cast<std::size_t>(iy1) * w + ix1) * 4;
      std::uint8_t* o = row + x * 4;
      for (int k = 0; k < 3; ++k) {
        const int top = p00[k] * (256 - ax) + p10[k] * ax;
        const int bot = p01[k] * (256 - ax) + p11[k] * ax;
        o[k] = static_cast<std::uint8_t>((top * (256 - ay) + bot * ay + 32768) >> 16);
      }
      o[3] = 255;
    }
  }
}

}  // namespace reel::studio::detail
