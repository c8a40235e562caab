#include "reel/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace reel {
namespace {

LogLevel level_from_env() {
  const char* v = std::getenv("REEL_LOG");
  if (!v) return LogLevel::warn;
  std::string s(v);
  if (s == "debug") return LogLevel::debug;
  if (s == "info") return LogLevel::info;
  if (s == "error") return LogLevel::error;
  return LogLevel::warn;
}

std::atomic<int>& level_ref() {
  static std::atomic<int> level{static_cast<int>(level_from_env())};
  return level;
}

}  // namespace

LogLevel log_level() {
  return static_cast<LogLevel>(level_ref().load());
}
void set_log_level(LogLevel level) {
  level_ref().store(static_cast<int>(level));
}

void log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) < level_ref().load()) return;
  static std::mutex m;
  static const char* names[] = {"debug", "info", "warn", "error"};
  std::lock_guard lock(m);
  std::fprintf(stderr, "reel %s: %.*s\n", names[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace reel
