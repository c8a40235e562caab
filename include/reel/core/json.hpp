#pragma once
// JSON is reel's interchange format at every edge (pipeline files, cost reports, the
// CLI's --json). nlohmann::json is header-only, so exposing it costs no link coupling.
#include <nlohmann/json.hpp>
#include <string>

namespace reel {

using Json = nlohmann::json;

// Canonical text for hashing: keys sorted (nlohmann keeps objects sorted), no spaces,
// numbers printed shortest-round-trip. Two equal documents give equal bytes.
std::string canonical_json(const Json& j);

// Parses text; on failure throws InvalidInput naming `what` and the position.
Json parse_json(std::string_view text, std::string_view what);

}  // namespace reel
