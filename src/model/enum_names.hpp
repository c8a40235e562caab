#pragma once
// Name tables for the model layer's enums: one lookup each way, and the refusal that
// lists every allowed name.
#include <string>
#include <string_view>
#include <utility>

#include "reel/core/error.hpp"

namespace reel::model::detail {

template <class E, std::size_t N>
std::string_view enum_name(const std::pair<E, std::string_view> (&table)[N], E value,
                           std::string_view fallback) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return fallback;
}

// InvalidInput "unknown <what> 'x'; allowed: a, b, c" when `text` names none.
template <class E, std::size_t N>
E enum_from_name(const std::pair<E, std::string_view> (&table)[N], std::string_view text,
                 std::string_view what) {
  std::string allowed;
  for (const auto& [v, name] : table) {
    if (name == text) return v;
    allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  }
  throw Error(ErrorKind::InvalidInput,
              "unknown " + std::string(what) + " '" + std::string(text) + "'; allowed: " + allowed);
}

}  // namespace reel::model::detail
