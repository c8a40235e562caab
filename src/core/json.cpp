#include "reel/core/json.hpp"

#include "reel/core/error.hpp"

namespace reel {

std::string canonical_json(const Json& j) {
  return j.dump(-1, ' ', false);
}

Json parse_json(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    throw Error(ErrorKind::InvalidInput, std::string(what) + " is not valid JSON: " + e.what());
  }
}

}  // namespace reel
