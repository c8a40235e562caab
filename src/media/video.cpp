#include "reel/media/video.hpp"

#include <cmath>

namespace reel::media {

Rational fps_to_rational(double fps) {
  // NTSC rates are written as 30000/1001 etc. by every tool; match them exactly.
  for (int base : {24, 30, 60, 120}) {
    double ntsc = base * 1000.0 / 1001.0;
    if (std::fabs(fps - ntsc) < 0.005) return Rational{base * 1000, 1001};
  }
  double rounded = std::round(fps);
  if (std::fabs(fps - rounded) < 1e-6) return Rational{static_cast<int>(rounded), 1};
  return Rational{static_cast<int>(std::lround(fps * 1000.0)), 1000};
}

}  // namespace reel::media
