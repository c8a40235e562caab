#pragma once
// UTF-8 checks for text that comes from files: CBOR text strings, JUMBF labels and
// certificate names must be valid before they reach JSON (whose dump() throws on bad
// UTF-8) or a terminal.
#include <string>
#include <string_view>

#include "reel/core/json.hpp"

namespace reel::provenance {

bool is_valid_utf8(std::string_view s);
// Replaces each invalid byte with U+FFFD.
std::string sanitize_utf8(std::string_view s);
// Applies sanitize_utf8 to every string (and key) in a JSON document.
Json sanitize_json(const Json& j);

}  // namespace reel::provenance
