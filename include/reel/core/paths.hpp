#pragma once
#include <filesystem>

namespace reel {

// $REEL_HOME, else $XDG_CACHE_HOME/reel, else ~/.cache/reel. Holds the artifact
// store, keys and settings.
std::filesystem::path reel_home();

}  // namespace reel
