#include "studio/animator_camera.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

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
  // The camera as linear functions of f, so the per-pixel work is a few
  // multiply-adds: shift = a + b*f, scale = s0 * (1 + dolly*f).
  const float ax = c.shift_x(0), bx = c.shift_x(1) - ax;
  const float ay = c.shift_y(0), by = c.shift_y(1) - ay;
  const float s0 = b.overscan * c.zoom, inv_s0 = 1.0f / s0;
  const bool depth_free = b.parallax.empty() || (bx == 0 && by == 0 && c.dolly == 0);
  const float* fp = b.parallax.empty() ? nullptr : b.parallax.data();
  const std::uint8_t* src = b.rgba.u8();
  std::uint8_t* dst = frame.u8();
  const float cx = b.centre_x, cy = b.centre_y;
  const float max_x = w - 1.001f, max_y = h - 1.001f;
  // Per row: source coordinates first (branch-free loops the compiler can
  // vectorise), then the bilinear fetches.
  std::vector<float> xs(w), ys(w), fs(w);
  for (int y = 0; y < h; ++y) {
    std::uint8_t* row = dst + static_cast<std::size_t>(y) * w * 4;
    const float py = y + 0.5f - cy;
    if (depth_free) {
      for (int x = 0; x < w; ++x) {
        xs[x] = cx + (x + 0.5f - cx - ax) * inv_s0;
        ys[x] = cy + (py - ay) * inv_s0;
      }
    } else {
      // Backward warp needs the depth of the pixel that lands here; two
      // fixed-point steps (start from the depth under the output pixel) are
      // enough for the small shifts a camera move makes.
      const float* frow = fp + static_cast<std::size_t>(y) * w;
      for (int x = 0; x < w; ++x) {
        const float f = frow[x];
        const float inv = inv_s0 / (1.0f + c.dolly * f);
        xs[x] = std::clamp(cx + (x + 0.5f - cx - ax - bx * f) * inv, 0.0f, max_x);
        ys[x] = std::clamp(cy + (py - ay - by * f) * inv, 0.0f, max_y);
      }
      for (int x = 0; x < w; ++x)
        fs[x] = fp[static_cast<std::size_t>(ys[x]) * w + static_cast<std::size_t>(xs[x])];
      for (int x = 0; x < w; ++x) {
        const float f = fs[x];
        const float inv = inv_s0 / (1.0f + c.dolly * f);
        xs[x] = cx + (x + 0.5f - cx - ax - bx * f) * inv;
        ys[x] = cy + (py - ay - by * f) * inv;
      }
    }
    for (int x = 0; x < w; ++x) {
      const float sx = std::clamp(xs[x] - 0.5f, 0.0f, max_x);
      const float sy = std::clamp(ys[x] - 0.5f, 0.0f, max_y);
      const int ix = static_cast<int>(sx), iy = static_cast<int>(sy);
      const int fx = static_cast<int>((sx - ix) * 256.0f),
                fy = static_cast<int>((sy - iy) * 256.0f);
      // Clamping to size - 1.001 keeps ix + 1 and iy + 1 inside the image.
      const std::uint8_t* p00 = src + (static_cast<std::size_t>(iy) * w + ix) * 4;
      const std::uint8_t* p01 = p00 + static_cast<std::size_t>(w) * 4;
      std::uint8_t* o = row + x * 4;
      for (int k = 0; k < 3; ++k) {
        const int top = p00[k] * (256 - fx) + p00[k + 4] * fx;
        const int bot = p01[k] * (256 - fx) + p01[k + 4] * fx;
        o[k] = static_cast<std::uint8_t>((top * (256 - fy) + bot * fy + 32768) >> 16);
      }
      o[3] = 255;
    }
  }
}

}  // namespace reel::studio::detail
