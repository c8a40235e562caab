#pragma once
// What a request may ask for. Validation happens before anything runs and every
// refusal names the allowed range.
#include <cstdint>
#include <string>

namespace reel::model {

struct Limits {
  int min_side = 16;
  int max_width = 7680;  // 8K UHD
  int max_height = 7680;
  double min_fps = 1.0;
  double max_fps = 120.0;
  double min_duration_seconds = 0.04;
  double max_duration_seconds = 120.0;
  int max_frames = 4800;
  std::size_t max_prompt_chars = 4000;
};

const Limits& default_limits();

// Each throws Error(InvalidInput) naming `what`, the value and the allowed range.
void check_size(int width, int height, const Limits& limits, const std::string& what);
void check_fps(double fps, const Limits& limits, const std::string& what);
void check_duration(double seconds, double fps, const Limits& limits, const std::string& what);
void check_prompt(const std::string& prompt, const Limits& limits, const std::string& what,
                  bool required = true);

}  // namespace reel::model
