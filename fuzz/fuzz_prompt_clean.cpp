// libFuzzer target: clean_prompt sees every prompt an API client sends to a Wan model.
// Any bytes must give cleaned UTF-8 or a reel::Error, never a crash, hang or sanitizer
// report; what it returns must already be clean (no edge or doubled spaces) and stable
// under a second clean where the first one unescaped nothing further.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "reel/core/error.hpp"
#include "reel/neural/prompt_clean.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string out;
  try {
    out = reel::neural::clean_prompt(input);
  } catch (const reel::Error&) {
    return 0;
  }
  if (!out.empty() && (out.front() == ' ' || out.back() == ' ')) __builtin_trap();
  if (out.find("  ") != std::string::npos) __builtin_trap();
  try {
    (void)reel::neural::clean_prompt(out);  // the output is valid UTF-8: must not throw
  } catch (const reel::Error&) {
    __builtin_trap();
  }
  (void)reel::neural::html_unescape(input);
  return 0;
}
