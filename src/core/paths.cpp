#include "reel/core/paths.hpp"

#include <cstdlib>

namespace reel {

std::filesystem::path reel_home() {
  if (const char* h = std::getenv("REEL_HOME"); h && *h) return h;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::filesystem::path(x) / "reel";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "reel";
  return std::filesystem::temp_directory_path() / "reel";
}

}  // namespace reel
