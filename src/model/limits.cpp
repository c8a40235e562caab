#include "reel/model/limits.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "reel/core/error.hpp"

namespace reel::model {

const Limits& default_limits() {
  static const Limits limits;
  return limits;
}

void check_size(int width, int height, const Limits& l, const std::string& what) {
  if (width < l.min_side || width > l.max_width || height < l.min_side || height > l.max_height)
    throw Error(ErrorKind::InvalidInput,
                what + ": size " + std::to_string(width) + "x" + std::to_string(height) +
                    " is out of range; width must be " + std::to_string(l.min_side) + ".." +
                    std::to_string(l.max_width) + " and height " + std::to_string(l.min_side) +
                    ".." + std::to_string(l.max_height));
}

void check_fps(double fps, const Limits& l, const std::string& what) {
  if (!std::isfinite(fps) || fps < l.min_fps || fps > l.max_fps) {
    std::ostringstream m;
    m << what << ": fps " << fps << " is out of range; allowed " << l.min_fps << ".." << l.max_fps;
    throw Error(ErrorKind::InvalidInput, m.str());
  }
}

void check_duration(double seconds, double fps, const Limits& l, const std::string& what) {
  if (!std::isfinite(seconds) || seconds < l.min_duration_seconds ||
      seconds > l.max_duration_seconds) {
    std::ostringstream m;
    m << what << ": duration " << seconds << " s is out of range; allowed "
      << l.min_duration_seconds << ".." << l.max_duration_seconds << " s";
    throw Error(ErrorKind::InvalidInput, m.str());
  }
  double frames = std::round(seconds * fps);
  if (frames > l.max_frames) {
    std::ostringstream m;
    m << what << ": " << frames << " frames (" << seconds << " s at " << fps
      << " fps) is too many; at most " << l.max_frames << " frames are allowed";
    throw Error(ErrorKind::InvalidInput, m.str());
  }
}

void check_prompt(const std::string& prompt, const Limits& l, const std::string& what,
                  bool required) {
  if (required && prompt.find_first_not_of(" \t\r\n") == std::string::npos)
    throw Error(ErrorKind::InvalidInput, what + ": the prompt is empty; describe what to make");
  // Characters are Unicode code points, as the docs say (a byte limit would give Chinese
  // or Arabic prompts a third of the room): every byte but UTF-8 continuation bytes.
  const std::size_t chars =
      static_cast<std::size_t>(std::count_if(prompt.begin(), prompt.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
  if (chars > l.max_prompt_chars)
    throw Error(ErrorKind::InvalidInput, what + ": the prompt is " + std::to_string(chars) +
                                             " characters; at most " +
                                             std::to_string(l.max_prompt_chars) + " are allowed");
}

}  // namespace reel::model
