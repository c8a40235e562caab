// Porter-Duff "over" with straight alpha, and PSNR.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "reel/core/error.hpp"
#include "reel/core/thread_pool.hpp"
#include "reel/media/ops.hpp"

namespace reel::media {
namespace {

// The common case (both 8-bit, opaque background) in 16-bit integer arithmetic:
// out = (fg * a + bg * (255 - a)) / 255, exact to rounding.
inline std::uint8_t blend_u8(int f, int b, int a) {
  int v = f * a + b * (255 - a) + 128;
  return static_cast<std::uint8_t>((v + (v >> 8)) >> 8);
}

void over_u8(Image& bg, const Image& fg, int x0, int y0, int fx0, int fy0, int w, int h,
             float opacity) {
  const int op = static_cast<int>(std::lround(std::clamp(opacity, 0.0f, 1.0f) * 255.0f));
  parallel_for(h, 16, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      const std::uint8_t* f = fg.u8_pixel(fx0, fy0 + static_cast<int>(r));
      std::uint8_t* b = bg.u8_pixel(x0, y0 + static_cast<int>(r));
      for (int i = 0; i < w; ++i, f += 4, b += 4) {
        int fa = f[3];
        if (op != 255) fa = (fa * op + 127) / 255;
        if (fa == 0) continue;
        if (fa == 255) {
          b[0] = f[0];
          b[1] = f[1];
          b[2] = f[2];
          b[3] = 255;
          continue;
        }
        const int ba = b[3];
        if (ba == 255) {
          for (int c = 0; c < 3; ++c) b[c] = blend_u8(f[c], b[c], fa);
          continue;
        }
        // Translucent background: straight-alpha "over" needs the division.
        const float fa_f = fa / 255.0f, ba_f = ba / 255.0f;
        const float oa = fa_f + ba_f * (1.0f - fa_f);
        for (int c = 0; c < 3; ++c) {
          float v = (f[c] * fa_f + b[c] * ba_f * (1.0f - fa_f)) / oa;
          b[c] = static_cast<std::uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f));
        }
        b[3] = static_cast<std::uint8_t>(oa * 255.0f + 0.5f);
      }
    }
  });
}

// Reads / writes a pixel of either type as float RGBA in [0,1].
inline void get(const Image& img, int x, int y, float* out) {
  if (img.type() == PixelType::u8) {
    const std::uint8_t* p = img.u8_pixel(x, y);
    for (int c = 0; c < 4; ++c) out[c] = p[c] * (1.0f / 255.0f);
  } else {
    const float* p = img.f32_pixel(x, y);
    for (int c = 0; c < 4; ++c) out[c] = p[c];
  }
}

inline void put(Image& img, int x, int y, const float* v) {
  if (img.type() == PixelType::u8) {
    std::uint8_t* p = img.u8_pixel(x, y);
    for (int c = 0; c < 4; ++c)
      p[c] = static_cast<std::uint8_t>(std::clamp(v[c], 0.0f, 1.0f) * 255.0f + 0.5f);
  } else {
    float* p = img.f32_pixel(x, y);
    for (int c = 0; c < 4; ++c) p[c] = v[c];
  }
}

void over_float(Image& bg, const Image& fg, int x0, int y0, int fx0, int fy0, int w, int h,
                float opacity) {
  opacity = std::clamp(opacity, 0.0f, 1.0f);
  parallel_for(h, 16, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      const int by = y0 + static_cast<int>(r), fy = fy0 + static_cast<int>(r);
      for (int i = 0; i < w; ++i) {
        float f[4], b[4], o[4];
        get(fg, fx0 + i, fy, f);
        const float fa = std::clamp(f[3], 0.0f, 1.0f) * opacity;
        if (fa <= 0.0f) continue;
        get(bg, x0 + i, by, b);
        const float ba = std::clamp(b[3], 0.0f, 1.0f);
        o[3] = fa + ba * (1.0f - fa);
        for (int c = 0; c < 3; ++c) o[c] = (f[c] * fa + b[c] * ba * (1.0f - fa)) / o[3];
        put(bg, x0 + i, by, o);
      }
    }
  });
}

}  // namespace

void alpha_over(Image& bg, const Image& fg, int x, int y, float opacity) {
  if (bg.empty() || fg.empty()) return;
  if (!std::isfinite(opacity))
    throw Error(ErrorKind::InvalidInput, "alpha_over opacity must be a finite number in 0..1");
  // Clip fg's rectangle to bg, in 64-bit so huge offsets cannot overflow.
  const long long bx0 = std::max<long long>(x, 0), by0 = std::max<long long>(y, 0);
  const long long bx1 = std::min<long long>(static_cast<long long>(x) + fg.width(), bg.width());
  const long long by1 = std::min<long long>(static_cast<long long>(y) + fg.height(), bg.height());
  if (bx1 <= bx0 || by1 <= by0 || opacity <= 0.0f) return;
  const int w = static_cast<int>(bx1 - bx0), h = static_cast<int>(by1 - by0);
  const int fx0 = static_cast<int>(bx0 - x), fy0 = static_cast<int>(by0 - y);
  if (bg.type() == PixelType::u8 && fg.type() == PixelType::u8)
    over_u8(bg, fg, static_cast<int>(bx0), static_cast<int>(by0), fx0, fy0, w, h, opacity);
  else
    over_float(bg, fg, static_cast<int>(bx0), static_cast<int>(by0), fx0, fy0, w, h, opacity);
}

double psnr(const Image& a, const Image& b) {
  if (a.width() != b.width() || a.height() != b.height() || a.empty())
    throw Error(ErrorKind::InvalidInput,
                "psnr needs two non-empty images of the same size; got " +
                    std::to_string(a.width()) + "x" + std::to_string(a.height()) + " and " +
                    std::to_string(b.width()) + "x" + std::to_string(b.height()));
  double sum = 0.0;
  double peak = 1.0;
  const std::size_t n = a.pixel_count();
  if (a.type() == PixelType::u8 && b.type() == PixelType::u8) {
    peak = 255.0;
    const std::uint8_t* p = a.u8();
    const std::uint8_t* q = b.u8();
    for (std::size_t i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) {
        double d = static_cast<double>(p[i * 4 + c]) - q[i * 4 + c];
        sum += d * d;
      }
  } else {
    const Image fa = a.to_f32(), fb = b.to_f32();
    const float* p = fa.f32();
    const float* q = fb.f32();
    for (std::size_t i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) {
        double d = static_cast<double>(p[i * 4 + c]) - q[i * 4 + c];
        sum += d * d;
      }
  }
  const double mse = sum / (3.0 * n);
  if (mse == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(peak * peak / mse);
}

}  // namespace reel::media
