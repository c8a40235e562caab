#pragma once
// Minimal leveled logging to stderr. REEL_LOG=debug|info|warn|error sets the level
// (default warn, so the CLI's stderr carries only what a user should read).
#include <string_view>

namespace reel {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

LogLevel log_level();
void set_log_level(LogLevel level);
void log(LogLevel level, std::string_view message);

inline void log_debug(std::string_view m) {
  log(LogLevel::debug, m);
}
inline void log_info(std::string_view m) {
  log(LogLevel::info, m);
}
inline void log_warn(std::string_view m) {
  log(LogLevel::warn, m);
}
inline void log_error(std::string_view m) {
  log(LogLevel::error, m);
}

}  // namespace reel
