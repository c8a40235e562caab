#pragma once
// Content hashes. xxHash3-128 keys the artifact cache (fast, not cryptographic);
// SHA-256 is for provenance and anything an adversary might try to collide.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace reel {

struct Hash128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  // 32 lowercase hex digits, high word first.
  std::string hex() const;
  // Parses 32 hex digits; throws InvalidInput otherwise.
  static Hash128 from_hex(std::string_view hex);
  friend bool operator==(const Hash128&, const Hash128&) = default;
  friend auto operator<=>(const Hash128&, const Hash128&) = default;
};

// Streaming xxHash3-128. Fields are length-prefixed by add_field so that
// ("ab","c") and ("a","bc") hash differently.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Hasher& update(const void* data, std::size_t size);
  Hasher& update(std::string_view s) { return update(s.data(), s.size()); }
  Hasher& add_field(std::string_view s);
  Hasher& add_u64(std::uint64_t v);
  Hash128 digest() const;

 private:
  void* state_;  // XXH3_state_t*, kept opaque so xxhash.h stays out of headers
};

Hash128 xxh3_128(const void* data, std::size_t size);
inline Hash128 xxh3_128(std::string_view s) {
  return xxh3_128(s.data(), s.size());
}

using Sha256Digest = std::array<std::uint8_t, 32>;
Sha256Digest sha256(std::span<const std::uint8_t> data);
Sha256Digest sha256(std::string_view data);
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace reel
