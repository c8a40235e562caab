#pragma once
// A small CBOR (RFC 8949) value, encoder and hostile-input-safe decoder. C2PA claims
// must use core deterministic encoding (§4.2.1): shortest integer/length heads, definite
// lengths only, map keys sorted by their encoded bytes. encode() always produces that
// form; decode() accepts any definite-length input within the limits below.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/core/json.hpp"

namespace reel::provenance {

class Cbor {
 public:
  enum class Kind { Int, Bytes, Text, Array, Map, Tag, Bool, Null, Undefined, Float };
  using Bytes = std::vector<std::uint8_t>;
  using Entry = std::pair<Cbor, Cbor>;

  Cbor() : kind_(Kind::Null) {}
  Cbor(std::int64_t v) : kind_(Kind::Int), int_(v) {}
  Cbor(int v) : Cbor(static_cast<std::int64_t>(v)) {}
  Cbor(std::uint32_t v) : Cbor(static_cast<std::int64_t>(v)) {}
  Cbor(std::size_t v) : Cbor(static_cast<std::int64_t>(v)) {}
  Cbor(bool v) : kind_(Kind::Bool), int_(v ? 1 : 0) {}
  Cbor(double v) : kind_(Kind::Float), float_(v) {}
  Cbor(std::string v) : kind_(Kind::Text), text_(std::move(v)) {}
  Cbor(const char* v) : Cbor(std::string(v)) {}
  Cbor(Bytes v) : kind_(Kind::Bytes), bytes_(std::move(v)) {}

  static Cbor bytes(std::span<const std::uint8_t> b) { return Cbor(Bytes(b.begin(), b.end())); }
  static Cbor array(std::vector<Cbor> items = {});
  static Cbor map(std::vector<Entry> entries = {});
  static Cbor tag(std::uint64_t tag, Cbor content);
  static Cbor undefined();

  Kind kind() const { return kind_; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_text() const { return kind_ == Kind::Text; }
  bool is_bytes() const { return kind_ == Kind::Bytes; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_map() const { return kind_ == Kind::Map; }
  bool is_null() const { return kind_ == Kind::Null; }

  // Accessors throw InvalidInput naming `what` when the kind does not match, so a
  // malformed foreign manifest becomes an error, never undefined behaviour.
  std::int64_t as_int(std::string_view what = "value") const;
  const std::string& as_text(std::string_view what = "value") const;
  const Bytes& as_bytes(std::string_view what = "value") const;
  const std::vector<Cbor>& as_array(std::string_view what = "value") const;
  const std::vector<Entry>& as_map(std::string_view what = "value") const;
  std::uint64_t tag_number() const { return tag_; }
  const Cbor& tag_content() const;
  double as_float() const { return float_; }
  bool as_bool() const { return int_ != 0; }

  std::vector<Cbor>& items();     // array items (REEL_ASSERTs the kind)
  std::vector<Entry>& entries();  // map entries

  // Map helpers: text or integer keys.
  const Cbor* find(std::string_view key) const;
  const Cbor* find(std::int64_t key) const;
  Cbor& set(Cbor key, Cbor value);  // replaces an existing key
  void push(Cbor item) { items().push_back(std::move(item)); }

  friend bool operator==(const Cbor& a, const Cbor& b);

 private:
  Kind kind_;
  std::int64_t int_ = 0;
  double float_ = 0;
  std::uint64_t tag_ = 0;
  std::string text_;
  Bytes bytes_;
  std::vector<Cbor> items_;
  std::vector<Entry> entries_;
};

// Deterministic encoding (see file comment).
Cbor::Bytes cbor_encode(const Cbor& value);
void cbor_encode_to(const Cbor& value, Cbor::Bytes& out);

struct CborLimits {
  std::size_t max_depth = 64;
  std::size_t max_items = 1u << 20;  // total items in one document
};
// Decodes exactly one item spanning all of `data`; throws InvalidInput on anything
// malformed (truncation, indefinite lengths, trailing bytes, limits exceeded).
Cbor cbor_decode(std::span<const std::uint8_t> data, const CborLimits& limits = {});

// JSON bridge: integers stay integers, other numbers become floats, byte strings
// become hex strings ("h'…'" is not JSON), tags are dropped to their content.
Cbor cbor_from_json(const Json& j);
Json cbor_to_json(const Cbor& c);

}  // namespace reel::provenance
