#pragma once
// A video is a sequence of same-sized frames at a constant frame rate.
#include <vector>

#include "reel/media/image.hpp"

namespace reel::media {

struct Rational {
  int num = 24;
  int den = 1;
  double value() const { return static_cast<double>(num) / den; }
  friend bool operator==(const Rational&, const Rational&) = default;
};

// Converts a frame rate like 24, 29.97 or 23.976 to a rational (30000/1001 etc.).
Rational fps_to_rational(double fps);

struct Video {
  std::vector<Image> frames;  // all the same size; u8 for codec I/O
  Rational fps;

  int width() const { return frames.empty() ? 0 : frames.front().width(); }
  int height() const { return frames.empty() ? 0 : frames.front().height(); }
  double duration_seconds() const { return frames.size() / fps.value(); }
};

}  // namespace reel::media
