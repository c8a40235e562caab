#pragma once
// Images are RGBA, row-major, top row first, straight (not premultiplied) alpha.
// Two pixel types: 8-bit (what codecs read and write) and 32-bit float in [0,1]
// (what renderers and compositing work in). A Plane is one float channel (depth,
// alpha masks).
#include <cstdint>
#include <vector>

namespace reel::media {

enum class PixelType { u8, f32 };

// Largest image reel will allocate: 16384 x 16384. Decoders check against this
// before allocating; requests past it are refused with the allowed range.
inline constexpr int kMaxImageSide = 16384;

// A size an encoded image declares before it is decoded.
struct ImageSize {
  int width = 0;
  int height = 0;
};

class Image {
 public:
  Image() = default;
  // Zero-filled (transparent black). Throws InvalidInput for sizes outside
  // 1..kMaxImageSide.
  Image(int width, int height, PixelType type = PixelType::u8);

  int width() const { return width_; }
  int height() const { return height_; }
  PixelType type() const { return type_; }
  bool empty() const { return width_ == 0 || height_ == 0; }
  std::size_t pixel_count() const { return static_cast<std::size_t>(width_) * height_; }

  // Valid for the matching pixel type only (REEL_ASSERT otherwise).
  std::uint8_t* u8();
  const std::uint8_t* u8() const;
  float* f32();
  const float* f32() const;

  std::uint8_t* u8_pixel(int x, int y) {
    return u8() + (static_cast<std::size_t>(y) * width_ + x) * 4;
  }
  const std::uint8_t* u8_pixel(int x, int y) const {
    return u8() + (static_cast<std::size_t>(y) * width_ + x) * 4;
  }
  float* f32_pixel(int x, int y) { return f32() + (static_cast<std::size_t>(y) * width_ + x) * 4; }
  const float* f32_pixel(int x, int y) const {
    return f32() + (static_cast<std::size_t>(y) * width_ + x) * 4;
  }

  // Conversions (round-to-nearest, clamped). Return a copy when already that type.
  Image to_u8() const;
  Image to_f32() const;

  // True when every alpha value is opaque.
  bool is_opaque() const;

  friend bool operator==(const Image& a, const Image& b);

 private:
  int width_ = 0;
  int height_ = 0;
  PixelType type_ = PixelType::u8;
  std::vector<std::uint8_t> u8_;
  std::vector<float> f32_;
};

class Plane {
 public:
  Plane() = default;
  Plane(int width, int height, float fill = 0.0f);
  int width() const { return width_; }
  int height() const { return height_; }
  bool empty() const { return width_ == 0 || height_ == 0; }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  float& at(int x, int y) { return data_[static_cast<std::size_t>(y) * width_ + x]; }
  float at(int x, int y) const { return data_[static_cast<std::size_t>(y) * width_ + x]; }
  friend bool operator==(const Plane& a, const Plane& b) = default;

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<float> data_;
};

// Checks a requested size against 1..kMaxImageSide; throws InvalidInput naming
// `what` and the allowed range.
void check_image_size(int width, int height, const char* what);

}  // namespace reel::media
