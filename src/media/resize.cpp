// Separable resampling: a horizontal pass over the source rows into a float buffer,
// then a vertical pass into the output. Colour is premultiplied by alpha while it is
// filtered and divided back afterwards, so transparent pixels (whose colour is
// meaningless, often black) cannot bleed dark fringes into the edges of a cut-out.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/core/thread_pool.hpp"
#include "reel/media/ops.hpp"

namespace reel::media {
namespace {

// For each output coordinate: the first source index and its weights (summing to 1).
struct Taps {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int> offset;
  std::vector<float> weights;
};

Taps make_taps(int src, int dst, Filter filter) {
  Taps t;
  t.first.resize(dst);
  t.count.resize(dst);
  t.offset.resize(dst);
  const double scale = static_cast<double>(src) / dst;
  for (int d = 0; d < dst; ++d) {
    t.offset[d] = static_cast<int>(t.weights.size());
    if (filter == Filter::nearest) {
      int s = std::min(src - 1, static_cast<int>((d + 0.5) * scale));
      t.first[d] = s;
      t.count[d] = 1;
      t.weights.push_back(1.0f);
    } else if (filter == Filter::bilinear) {
      // Pixel centres aligned: output centre d+0.5 maps to source centre.
      double x = (d + 0.5) * scale - 0.5;
      int x0 = static_cast<int>(std::floor(x));
      double f = x - x0;
      int a = std::clamp(x0, 0, src - 1);
      int b = std::clamp(x0 + 1, 0, src - 1);
      if (a == b || f == 0.0) {
        t.first[d] = a;
        t.count[d] = 1;
        t.weights.push_back(1.0f);
      } else {
        t.first[d] = a;
        t.count[d] = 2;
        t.weights.push_back(static_cast<float>(1.0 - f));
        t.weights.push_back(static_cast<float>(f));
      }
    } else {
      // Box filter: each output pixel averages the source span it covers, with
      // partial coverage at the ends.
      double lo = d * scale, hi = (d + 1) * scale;
      int s0 = static_cast<int>(std::floor(lo));
      int s1 = std::min(src, static_cast<int>(std::ceil(hi)));
      t.first[d] = s0;
      t.count[d] = s1 - s0;
      for (int s = s0; s < s1; ++s) {
        double cover = std::min(hi, s + 1.0) - std::max(lo, static_cast<double>(s));
        t.weights.push_back(static_cast<float>(cover / scale));
      }
    }
  }
  return t;
}

// Loads source row y as premultiplied float RGBA (or plain float for planes).
template <int C>
void load_row(const Image* img, const Plane* plane, int y, float* out) {
  if constexpr (C == 1) {
    const float* row = plane->data() + static_cast<std::size_t>(y) * plane->width();
    std::copy(row, row + plane->width(), out);
  } else if (img->type() == PixelType::u8) {
    constexpr float k = 1.0f / 255.0f;
    const std::uint8_t* p = img->u8_pixel(0, y);
    for (int x = 0; x < img->width(); ++x, p += 4, out += 4) {
      float a = p[3] * k;
      float m = a * k;
      out[0] = p[0] * m;
      out[1] = p[1] * m;
      out[2] = p[2] * m;
      out[3] = a;
    }
  } else {
    const float* p = img->f32_pixel(0, y);
    for (int x = 0; x < img->width(); ++x, p += 4, out += 4) {
      float a = p[3];
      out[0] = p[0] * a;
      out[1] = p[1] * a;
      out[2] = p[2] * a;
      out[3] = a;
    }
  }
}

template <int C>
void resample(const Image* img, const Plane* plane, int sw, int sh, int dw, int dh, Filter filter,
              Image* out_img, Plane* out_plane) {
  const Taps tx = make_taps(sw, dw, filter);
  const Taps ty = make_taps(sh, dh, filter);
  // [sh, dw, C] after the horizontal pass; rows no output needs are never touched.
  std::vector<float> mid(static_cast<std::size_t>(sh) * dw * C);
  parallel_for(sh, 16, [&](std::size_t y0, std::size_t y1) {
    std::vector<float> row(static_cast<std::size_t>(sw) * C);
    for (std::size_t y = y0; y < y1; ++y) {
      load_row<C>(img, plane, static_cast<int>(y), row.data());
      float* o = mid.data() + y * dw * C;
      for (int d = 0; d < dw; ++d, o += C) {
        const float* w = tx.weights.data() + tx.offset[d];
        const float* s = row.data() + static_cast<std::size_t>(tx.first[d]) * C;
        float acc[C] = {};
        for (int i = 0; i < tx.count[d]; ++i, s += C)
          for (int c = 0; c < C; ++c) acc[c] += w[i] * s[c];
        for (int c = 0; c < C; ++c) o[c] = acc[c];
      }
    }
  });
  parallel_for(dh, 8, [&](std::size_t y0, std::size_t y1) {
    std::vector<float> acc(static_cast<std::size_t>(dw) * C);
    for (std::size_t y = y0; y < y1; ++y) {
      std::fill(acc.begin(), acc.end(), 0.0f);
      const float* w = ty.weights.data() + ty.offset[y];
      for (int i = 0; i < ty.count[y]; ++i) {
        const float* s = mid.data() + static_cast<std::size_t>(ty.first[y] + i) * dw * C;
        const float wi = w[i];
        for (std::size_t j = 0; j < acc.size(); ++j) acc[j] += wi * s[j];
      }
      if constexpr (C == 1) {
        std::copy(acc.begin(), acc.end(), out_plane->data() + y * dw);
      } else {
        const bool to_u8 = out_img->type() == PixelType::u8;
        for (int x = 0; x < dw; ++x) {
          float* p = acc.data() + x * 4;
          float a = std::clamp(p[3], 0.0f, 1.0f);
          float inv = a > 1e-6f ? 1.0f / p[3] : 0.0f;
          float rgb[3] = {p[0] * inv, p[1] * inv, p[2] * inv};
          if (to_u8) {
            std::uint8_t* q = out_img->u8_pixel(x, static_cast<int>(y));
            for (int c = 0; c < 3; ++c)
              q[c] = static_cast<std::uint8_t>(std::clamp(rgb[c], 0.0f, 1.0f) * 255.0f + 0.5f);
            q[3] = static_cast<std::uint8_t>(a * 255.0f + 0.5f);
          } else {
            float* q = out_img->f32_pixel(x, static_cast<int>(y));
            q[0] = rgb[0];
            q[1] = rgb[1];
            q[2] = rgb[2];
            q[3] = a;
          }
        }
      }
    }
  });
}

Image resize_nearest_u8(const Image& src, int width, int height) {
  Image out(width, height, PixelType::u8);
  std::vector<int> xs(width);
  for (int x = 0; x < width; ++x)
    xs[x] = std::min(src.width() - 1,
                     static_cast<int>((x + 0.5) * src.width() / static_cast<double>(width)));
  parallel_for(height, 32, [&](std::size_t y0, std::size_t y1) {
    for (std::size_t y = y0; y < y1; ++y) {
      int sy = std::min(src.height() - 1,
                        static_cast<int>((y + 0.5) * src.height() / static_cast<double>(height)));
      const auto* row = reinterpret_cast<const std::uint32_t*>(src.u8_pixel(0, sy));
      auto* o = reinterpret_cast<std::uint32_t*>(out.u8_pixel(0, static_cast<int>(y)));
      for (int x = 0; x < width; ++x) o[x] = row[xs[x]];
    }
  });
  return out;
}

}  // namespace

Image resize(const Image& src, int width, int height, Filter filter) {
  if (src.empty()) throw Error(ErrorKind::InvalidInput, "cannot resize an empty (0x0) image");
  check_image_size(width, height, "resize target");
  if (filter == Filter::nearest && src.type() == PixelType::u8)
    return resize_nearest_u8(src, width, height);
  Image out(width, height, src.type());
  resample<4>(&src, nullptr, src.width(), src.height(), width, height, filter, &out, nullptr);
  return out;
}

Plane resize(const Plane& src, int width, int height) {
  if (src.empty()) throw Error(ErrorKind::InvalidInput, "cannot resize an empty (0x0) plane");
  check_image_size(width, height, "plane resize target");
  Plane out(width, height);
  resample<1>(nullptr, &src, src.width(), src.height(), width, height, Filter::bilinear, nullptr,
              &out);
  return out;
}

}  // namespace reel::media
