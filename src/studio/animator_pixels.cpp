#include "studio/animator_pixels.hpp"

#include "reel/core/thread_pool.hpp"

namespace reel::studio::detail {
namespace {

// Straight-alpha texel as premultiplied floats.
inline void fetch_premultiplied(const media::Image& src, int x, int y, float out[4]) {
  if (src.type() == media::PixelType::u8) {
    const std::uint8_t* p = src.u8_pixel(x, y);
    const float a = p[3] * (1.0f / 255.0f);
    out[0] = p[0] * (1.0f / 255.0f) * a;
    out[1] = p[1] * (1.0f / 255.0f) * a;
    out[2] = p[2] * (1.0f / 255.0f) * a;
    out[3] = a;
  } else {
    const float* p = src.f32_pixel(x, y);
    const float a = std::clamp(p[3], 0.0f, 1.0f);
    out[0] = p[0] * a;
    out[1] = p[1] * a;
    out[2] = p[2] * a;
    out[3] = a;
  }
}

}  // namespace

media::Image resize_premultiplied(const media::Image& src, int x0, int y0, int w, int h, int dw,
                                  int dh) {
  media::Image out(dw, dh, media::PixelType::f32);
  const float sx = static_cast<float>(w) / dw, sy = static_cast<float>(h) / dh;
  // Box-filter taps per output pixel along each axis: enough to cover the footprint.
  const int tx = std::clamp(static_cast<int>(std::ceil(sx)), 1, 8);
  const int ty = std::clamp(static_cast<int>(std::ceil(sy)), 1, 8);
  parallel_for(dh, 8, [&](std::size_t r0, std::size_t r1) {
    for (int y = static_cast<int>(r0); y < static_cast<int>(r1); ++y) {
      for (int x = 0; x < dw; ++x) {
        float acc[4] = {0, 0, 0, 0};
        for (int j = 0; j < ty; ++j) {
          const float fy = y0 + (y + (j + 0.5f) / ty) * sy - 0.5f;
          for (int i = 0; i < tx; ++i) {
            const float fx = x0 + (x + (i + 0.5f) / tx) * sx - 0.5f;
            // Bilinear within the crop, clamped at its edges.
            const float cx = std::clamp(fx, static_cast<float>(x0), static_cast<float>(x0 + w - 1));
            const float cy = std::clamp(fy, static_cast<float>(y0), static_cast<float>(y0 + h - 1));
            const int ix = static_cast<int>(cx), iy = static_cast<int>(cy);
            const int ix1 = std::min(ix + 1, x0 + w - 1), iy1 = std::min(iy + 1, y0 + h - 1);
            const float ax = cx - ix, ay = cy - iy;
            float a[4], b[4], c[4], d[4];
            fetch_premultiplied(src, ix, iy, a);
            fetch_premultiplied(src, ix1, iy, b);
            fetch_premultiplied(src, ix, iy1, c);
            fetch_premultiplied(src, ix1, iy1, d);
            for (int k = 0; k < 4; ++k)
              acc[k] +=
                  (a[k] * (1 - ax) + b[k] * ax) * (1 - ay) + (c[k] * (1 - ax) + d[k] * ax) * ay;
          }
        }
        float* o = out.f32_pixel(x, y);
        const float inv = 1.0f / (tx * ty);
        for (int k = 0; k < 4; ++k) o[k] = acc[k] * inv;
      }
    }
  });
  return out;
}

media::Image resize_u8(const media::Image& src, int dw, int dh) {
  const media::Image u8 = src.to_u8();
  if (u8.width() == dw && u8.height() == dh) return u8;
  media::Image pre = resize_premultiplied(u8, 0, 0, u8.width(), u8.height(), dw, dh);
  media::Image out(dw, dh, media::PixelType::u8);
  const float* p = pre.f32();
  std::uint8_t* o = out.u8();
  for (std::size_t i = 0; i < out.pixel_count(); ++i, p += 4, o += 4) {
    const float a = p[3];
    const float inv = a > 1e-6f ? 1.0f / a : 0.0f;
    for (int c = 0; c < 3; ++c)
      o[c] = static_cast<std::uint8_t>(std::clamp(p[c] * inv, 0.0f, 1.0f) * 255.0f + 0.5f);
    o[3] = static_cast<std::uint8_t>(std::clamp(a, 0.0f, 1.0f) * 255.0f + 0.5f);
  }
  return out;
}

media::Plane resize_plane(const media::Plane& src, int dw, int dh) {
  if (src.width() == dw && src.height() == dh) return src;
  media::Plane out(dw, dh);
  const float sx = static_cast<float>(src.width()) / dw, sy = static_cast<float>(src.height()) / dh;
  for (int y = 0; y < dh; ++y) {
    const float fy = std::clamp((y + 0.5f) * sy - 0.5f, 0.0f, src.height() - 1.0f);
    const int iy = static_cast<int>(fy), iy1 = std::min(iy + 1, src.height() - 1);
    const float ay = fy - iy;
    for (int x = 0; x < dw; ++x) {
      const float fx = std::clamp((x + 0.5f) * sx - 0.5f, 0.0f, src.width() - 1.0f);
      const int ix = static_cast<int>(fx), ix1 = std::min(ix + 1, src.width() - 1);
      const float ax = fx - ix;
      out.at(x, y) = (src.at(ix, iy) * (1 - ax) + src.at(ix1, iy) * ax) * (1 - ay) +
                     (src.at(ix, iy1) * (1 - ax) + src.at(ix1, iy1) * ax) * ay;
    }
  }
  return out;
}

}  // namespace reel::studio::detail
