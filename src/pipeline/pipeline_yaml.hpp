#pragma once
// Private to the pipeline layer: YAML text → Json with the position of every value,
// and YAML's scalar typing (shared with --set overrides).
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "reel/core/json.hpp"

namespace reel::pipeline::detail {

// Hostile-input guards shared by both formats.
constexpr std::size_t kMaxFileBytes = 1 << 20;   // 1 MiB
constexpr int kMaxDepth = 32;                    // nesting of mappings and lists
constexpr std::size_t kMaxNodes = 100'000;       // after expanding aliases
constexpr std::size_t kMaxTextBytes = 8u << 20;  // scalar bytes after expanding aliases

struct Position {
  int line = 0;  // 1-based; 0 = unknown
  int column = 0;
};

struct YamlDocument {
  Json value;
  std::map<std::string, Position> positions;  // JSON pointer ("/steps/0/id") → position
};

// Throws InvalidInput "<what>:<line>:<col>: ..." on syntax errors, unsupported tags,
// duplicate keys, non-finite numbers or input past the guards above.
YamlDocument parse_yaml(std::string_view text, const std::string& what);

// The YAML 1.2 core schema for an untagged (plain) scalar: null (~, null, empty),
// booleans (true/false), integers (decimal, 0x, 0o), floats (1.5, 1e3, .inf, .nan),
// otherwise the text itself.
Json plain_scalar(std::string_view text);

// Overlong forms, surrogates and code points past U+10FFFF are invalid.
bool valid_utf8(std::string_view text);
// Invalid bytes become U+FFFD: for messages that quote hostile input.
std::string to_valid_utf8(std::string_view text);

}  // namespace reel::pipeline::detail
