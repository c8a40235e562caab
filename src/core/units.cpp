#include "reel/core/units.hpp"

#include <cmath>
#include <cstdio>

namespace reel {

std::string format_usd(Usd amount) {
  char buf[64];
  double v = amount.value;
  if (std::fabs(v) >= 1.0)
    std::snprintf(buf, sizeof buf, "$%.2f", v);
  else if (std::fabs(v) >= 0.01)
    std::snprintf(buf, sizeof buf, "$%.4f", v);
  else
    std::snprintf(buf, sizeof buf, "$%.6f", v);
  return buf;
}

std::string format_seconds(Seconds s) {
  char buf[64];
  double v = s.value;
  if (v < 1.0)
    std::snprintf(buf, sizeof buf, "%.0f ms", v * 1000.0);
  else if (v < 120.0)
    std::snprintf(buf, sizeof buf, "%.2f s", v);
  else
    std::snprintf(buf, sizeof buf, "%d min %02d s", static_cast<int>(v / 60),
                  static_cast<int>(std::fmod(v, 60.0)));
  return buf;
}

}  // namespace reel
