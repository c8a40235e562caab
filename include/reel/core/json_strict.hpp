#pragma once
// Strict JSON for what people and clients write to reel (API bodies, pipeline files).
// (reel::parse_json in json.hpp stays lenient about repeated keys, last wins, for files reel
// reads but does not own, such as a model's config.json; it too refuses a NUL byte, which
// nlohmann's lexer would take for the end of the text, ignoring what follows.)
#include <string_view>

#include "reel/core/json.hpp"

namespace reel {

// Exactly one value with nothing after it but whitespace, no NUL byte, no key twice in one
// object, containers nested at most max_depth deep, numbers that fit a double. Throws
// InvalidInput:
//   "<what>:<line>:<column>: <problem> (byte <offset>)"  for a position (offset from 0),
//   "<what>: duplicate key 'k' in the object at <JSON pointer>"  for a repeated key,
//   "<what>: nested deeper than N levels", "<what>: <number problem>; numbers must be …".
Json parse_json_strict(std::string_view text, std::string_view what, int max_depth = 512);

}  // namespace reel
