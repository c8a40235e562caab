// Separable resampling (vertical then horizontal, per output row). Colour is premultiplied by alpha
// while it is filtered and divided back afterwards, so transparent pixels (whose colour is
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

// Adds weight * (source row y as premultiplied float RGBA, or plain float for planes)
// into acc.
template <int C>
void accumulate_row(const Image* img, const Plane* plane, int y, float weight, float* acc) {
  if constexpr (C == 1) {
    const float* row = plane->data() + static_cast<std::size_t>(y) * plane->width();
    for (int x = 0; x < plane->width(); ++x) acc[x] += weight * row[x];
  } else if (img->type() == PixelType::u8) {
    constexpr float k = 1.0f / 255.0f;
    const std::uint8_t* p = img->u8_pixel(0, y);
    const float wk = weight * k;
    for (int x = 0; x < img->width(); ++x, p += 4, acc += 4) {
      const float m = p[3] * k * wk;
      acc[0] += p[0] * m;
      acc[1] += p[1] * m;
      acc[2] += p[2] * m;
      acc[3] += p[3] * wk;
    }
  } else {
    const float* p = img->f32_pixel(0, y);
    for (int x = 0; x < img->width(); ++x, p += 4, acc += 4) {
      const float m = p[3] * weight;
      acc[0] += p[0] * m;
      acc[1] += p[1] * m;
      acc[2] += p[2] * m;
      acc[3] += m;
    }
  }
}

// Writes one output row from premultiplied float, dividing alpha back out.
void store_row(const float* px, int dw, int y, Image* out) {
  const bool to_u8 = out->type() == PixelType::u8;
  for (int x = 0; x < dw; ++x, px += 4) {
    const float a = std::clamp(px[3], 0.0f, 1.0f);
    const float inv = a > 1e-6f ? 1.0f / px[3] : 0.0f;
    if (to_u8) {
      std::uint8_t* q = out->u8_pixel(x, y);
      for (int c = 0; c < 3; ++c)
        q[c] = static_cast<std::uint8_t>(std::clamp(px[c] * inv, 0.0f, 1.0f) * 255.0f + 0.5f);
      q[3] = static_cast<std::uint8_t>(a * 255.0f + 0.5f);
    } else {
      float* q = out->f32_pixel(x, y);
      for (int c = 0; c < 3; ++c) q[c] = px[c] * inv;
      q[3] = a;
    }
  }
}

// Vertical pass first, one output row at a time: the source rows an output row needs
// are blended into a single float row, which the horizontal pass then filters. No
// full-size intermediate image exists, so a 4K source costs no extra 40 MB buffer.
template <int C>
void resample(const Image* img, const Plane* plane, int sw, int sh, int dw, int dh, Filter filter,
              Image* out_img, Plane* out_plane) {
  const Taps tx = make_taps(sw, dw, filter);
  const Taps ty = make_taps(sh, dh, filter);
  parallel_for(dh, 8, [&](std::size_t y0, std::size_t y1) {
    std::vector<float> column(static_cast<std::size_t>(sw) * C);  // [sw, C]
    std::vector<float> row(static_cast<std::size_t>(dw) * C);     // [dw, C]
    for (std::size_t y = y0; y < y1; ++y) {
      std::fill(column.begin(), column.end(), 0.0f);
      const float* wy = ty.weights.data() + ty.offset[y];
      for (int i = 0; i < ty.count[y]; ++i)
        accumulate_row<C>(img, plane, ty.first[y] + i, wy[i], column.data());
      float* o = row.data();
      for (int d = 0; d < dw; ++d, o += C) {
        const float* w = tx.weights.data() + tx.offset[d];
        const float* s = column.data() + static_cast<std::size_t>(tx.first[d]) * C;
        float acc[C] = {};
        for (int i = 0; i < tx.count[d]; ++i, s += C)
          for (int c = 0; c < C; ++c) acc[c] += w[i] * s[c];
        for (int c = 0; c < C; ++c) o[c] = acc[c];
      }
      if constexpr (C == 1)
        std::copy(row.begin(), row.end(), out_plane->data() + y * dw);
      else
        store_row(row.data(), dw, static_cast<int>(y), out_img);
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
