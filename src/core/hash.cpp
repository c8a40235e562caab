#include "reel/core/hash.hpp"

#include <openssl/evp.h>
#include <xxhash.h>

#include <new>

#include "reel/core/error.hpp"

namespace reel {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex64(std::string& out, std::uint64_t v) {
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHexDigits[(v >> shift) & 0xF]);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Hash128::hex() const {
  std::string out;
  out.reserve(32);
  append_hex64(out, high);
  append_hex64(out, low);
  return out;
}

Hash128 Hash128::from_hex(std::string_view hex) {
  if (hex.size() != 32)
    throw Error(ErrorKind::InvalidInput,
                "a hash must be 32 hex digits, got " + std::to_string(hex.size()) + " characters");
  Hash128 h;
  for (std::size_t i = 0; i < 32; ++i) {
    int v = hex_value(hex[i]);
    if (v < 0) throw Error(ErrorKind::InvalidInput, "a hash may contain only 0-9 and a-f");
    std::uint64_t& word = i < 16 ? h.high : h.low;
    word = (word << 4) | static_cast<std::uint64_t>(v);
  }
  return h;
}

Hasher::Hasher() : state_(XXH3_createState()) {
  if (!state_) throw std::bad_alloc();
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

Hasher::~Hasher() {
  XXH3_freeState(static_cast<XXH3_state_t*>(state_));
}

Hasher& Hasher::update(const void* data, std::size_t size) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), data, size);
  return *this;
}

Hasher& Hasher::add_u64(std::uint64_t v) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(v >> (8 * i));
  return update(bytes, 8);
}

Hasher& Hasher::add_field(std::string_view s) {
  add_u64(s.size());
  return update(s);
}

Hash128 Hasher::digest() const {
  XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  return Hash128{h.high64, h.low64};
}

Hash128 xxh3_128(const void* data, std::size_t size) {
  XXH128_hash_t h = XXH3_128bits(data, size);
  return Hash128{h.high64, h.low64};
}

Sha256Digest sha256(std::span<const std::uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size())
    throw Error(ErrorKind::Internal, "OpenSSL SHA-256 failed");
  return out;
}

Sha256Digest sha256(std::string_view data) {
  return sha256(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()),
                                              data.size()));
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xF]);
  }
  return out;
}

}  // namespace reel
