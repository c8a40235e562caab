// libFuzzer target: parse_json_strict reads every API request body (POST /v1/jobs,
// /v1/estimates) and every JSON pipeline file. Any bytes must give a value or a reel::Error,
// never a crash, hang or sanitizer report. What it accepts must be what a lenient parse
// reads (so strictness only ever refuses), with no NUL byte and no repeated key anywhere
// (checked by counting keys against a last-wins parse), and it must survive a round trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "reel/core/error.hpp"
#include "reel/core/json_strict.hpp"

namespace {

// Keys the lenient parser saw, counting repeats: nlohmann's callback sees each key event.
std::size_t keys_seen(std::string_view text) {
  std::size_t n = 0;
  auto count = [&n](int, reel::Json::parse_event_t e, reel::Json&) {
    if (e == reel::Json::parse_event_t::key) ++n;
    return true;
  };
  (void)reel::Json::parse(text.begin(), text.end(), count, /*allow_exceptions=*/false);
  return n;
}

std::size_t keys_kept(const reel::Json& j) {
  std::size_t n = 0;
  if (j.is_object()) n += j.size();
  if (j.is_structured())
    for (const auto& v : j) n += keys_kept(v);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  reel::Json strict;
  try {
    strict = reel::parse_json_strict(input, "body", 64);
  } catch (const reel::Error&) {
    return 0;
  }
  if (input.find('\0') != std::string_view::npos) __builtin_trap();
  reel::Json lenient = reel::Json::parse(input.begin(), input.end(), nullptr, false);
  if (lenient.is_discarded() || lenient != strict) __builtin_trap();
  if (keys_seen(input) != keys_kept(strict)) __builtin_trap();  // a duplicate got through
  try {
    if (reel::parse_json_strict(strict.dump(), "dump", 64) != strict) __builtin_trap();
  } catch (const reel::Error&) {
    __builtin_trap();
  }
  return 0;
}
