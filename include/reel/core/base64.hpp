#pragma once
// Standard base64 (RFC 4648 §4, with padding), for webhook signatures and data URIs.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace reel {

std::string base64(const unsigned char* data, std::size_t n);
inline std::string base64(std::string_view bytes) {
  return base64(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}
// Strict: padding required, no whitespace; nullopt on anything else.
std::optional<std::string> unbase64(std::string_view text);

}  // namespace reel
