#include "reel/media/image.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "reel/core/error.hpp"

namespace reel::media {

void check_image_size(int width, int height, const char* what) {
  if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide)
    throw Error(ErrorKind::InvalidInput, std::string(what) + " size " + std::to_string(width) +
                                             "x" + std::to_string(height) +
                                             " is out of range; width and height must be 1.." +
                                             std::to_string(kMaxImageSide));
}

Image::Image(int width, int height, PixelType type) : width_(width), height_(height), type_(type) {
  check_image_size(width, height, "image");
  if (type == PixelType::u8)
    u8_.assign(pixel_count() * 4, 0);
  else
    f32_.assign(pixel_count() * 4, 0.0f);
}

std::uint8_t* Image::u8() {
  REEL_ASSERT(type_ == PixelType::u8);
  return u8_.data();
}
const std::uint8_t* Image::u8() const {
  REEL_ASSERT(type_ == PixelType::u8);
  return u8_.data();
}
float* Image::f32() {
  REEL_ASSERT(type_ == PixelType::f32);
  return f32_.data();
}
const float* Image::f32() const {
  REEL_ASSERT(type_ == PixelType::f32);
  return f32_.data();
}

Image Image::to_u8() const {
  if (type_ == PixelType::u8 || empty()) return *this;
  Image out(width_, height_, PixelType::u8);
  const std::size_t n = pixel_count() * 4;
  for (std::size_t i = 0; i < n; ++i) {
    float v = std::clamp(f32_[i], 0.0f, 1.0f);
    out.u8_[i] = static_cast<std::uint8_t>(std::lround(v * 255.0f));
  }
  return out;
}

Image Image::to_f32() const {
  if (type_ == PixelType::f32 || empty()) return *this;
  Image out(width_, height_, PixelType::f32);
  const std::size_t n = pixel_count() * 4;
  constexpr float k = 1.0f / 255.0f;
  for (std::size_t i = 0; i < n; ++i) out.f32_[i] = u8_[i] * k;
  return out;
}

bool Image::is_opaque() const {
  const std::size_t n = pixel_count();
  if (type_ == PixelType::u8) {
    for (std::size_t i = 0; i < n; ++i)
      if (u8_[i * 4 + 3] != 255) return false;
  } else {
    for (std::size_t i = 0; i < n; ++i)
      if (f32_[i * 4 + 3] < 1.0f) return false;
  }
  return true;
}

bool operator==(const Image& a, const Image& b) {
  return a.width_ == b.width_ && a.height_ == b.height_ && a.type_ == b.type_ && a.u8_ == b.u8_ &&
         a.f32_ == b.f32_;
}

Plane::Plane(int width, int height, float fill) : width_(width), height_(height) {
  check_image_size(width, height, "plane");
  data_.assign(static_cast<std::size_t>(width) * height, fill);
}

}  // namespace reel::media
