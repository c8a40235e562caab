#pragma once
// Big-endian helpers shared by the box writers and readers. Readers index only after
// the caller has checked the range.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reel::provenance {

using Bytes = std::vector<std::uint8_t>;

inline void put_be32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
inline void put_be64(Bytes& out, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
inline void put_fourcc(Bytes& out, std::string_view t) {
  out.insert(out.end(), t.begin(), t.end());
}
inline void set_be32(std::span<std::uint8_t> b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
inline void set_be64(std::span<std::uint8_t> b, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
inline std::uint32_t get_be32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}
inline std::uint64_t get_be64(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint64_t{get_be32(b, at)} << 32) | get_be32(b, at + 4);
}
inline std::string get_fourcc(std::span<const std::uint8_t> b, std::size_t at) {
  return std::string(b.begin() + at, b.begin() + at + 4);
}

}  // namespace reel::provenance
