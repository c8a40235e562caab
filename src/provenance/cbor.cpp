#include "reel/provenance/cbor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "provenance/utf8.hpp"
#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"

namespace reel::provenance {

Cbor Cbor::array(std::vector<Cbor> items) {
  Cbor c;
  c.kind_ = Kind::Array;
  c.items_ = std::move(items);
  return c;
}

Cbor Cbor::map(std::vector<Entry> entries) {
  Cbor c;
  c.kind_ = Kind::Map;
  c.entries_ = std::move(entries);
  return c;
}

Cbor Cbor::tag(std::uint64_t tag, Cbor content) {
  Cbor c;
  c.kind_ = Kind::Tag;
  c.tag_ = tag;
  c.items_.push_back(std::move(content));
  return c;
}

Cbor Cbor::undefined() {
  Cbor c;
  c.kind_ = Kind::Undefined;
  return c;
}

namespace {
[[noreturn]] void wrong_kind(std::string_view what, std::string_view expected) {
  throw Error(ErrorKind::InvalidInput,
              std::string(what) + " must be a CBOR " + std::string(expected));
}
}  // namespace

std::int64_t Cbor::as_int(std::string_view what) const {
  if (kind_ != Kind::Int) wrong_kind(what, "integer");
  return int_;
}
const std::string& Cbor::as_text(std::string_view what) const {
  if (kind_ != Kind::Text) wrong_kind(what, "text string");
  return text_;
}
const Cbor::Bytes& Cbor::as_bytes(std::string_view what) const {
  if (kind_ != Kind::Bytes) wrong_kind(what, "byte string");
  return bytes_;
}
const std::vector<Cbor>& Cbor::as_array(std::string_view what) const {
  if (kind_ != Kind::Array) wrong_kind(what, "array");
  return items_;
}
const std::vector<Cbor::Entry>& Cbor::as_map(std::string_view what) const {
  if (kind_ != Kind::Map) wrong_kind(what, "map");
  return entries_;
}
const Cbor& Cbor::tag_content() const {
  REEL_ASSERT(kind_ == Kind::Tag && items_.size() == 1);
  return items_[0];
}
std::vector<Cbor>& Cbor::items() {
  REEL_ASSERT(kind_ == Kind::Array);
  return items_;
}
std::vector<Cbor::Entry>& Cbor::entries() {
  REEL_ASSERT(kind_ == Kind::Map);
  return entries_;
}

const Cbor* Cbor::find(std::string_view key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (const auto& [k, v] : entries_)
    if (k.kind_ == Kind::Text && k.text_ == key) return &v;
  return nullptr;
}

const Cbor* Cbor::find(std::int64_t key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (const auto& [k, v] : entries_)
    if (k.kind_ == Kind::Int && k.int_ == key) return &v;
  return nullptr;
}

Cbor& Cbor::set(Cbor key, Cbor value) {
  auto& e = entries();
  for (auto& [k, v] : e)
    if (k == key) return v = std::move(value);
  e.emplace_back(std::move(key), std::move(value));
  return e.back().second;
}

bool operator==(const Cbor& a, const Cbor& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Cbor::Kind::Int:
    case Cbor::Kind::Bool:
      return a.int_ == b.int_;
    case Cbor::Kind::Float:
      return a.float_ == b.float_;
    case Cbor::Kind::Text:
      return a.text_ == b.text_;
    case Cbor::Kind::Bytes:
      return a.bytes_ == b.bytes_;
    case Cbor::Kind::Array:
      return a.items_ == b.items_;
    case Cbor::Kind::Map:
      return a.entries_ == b.entries_;
    case Cbor::Kind::Tag:
      return a.tag_ == b.tag_ && a.items_ == b.items_;
    case Cbor::Kind::Null:
    case Cbor::Kind::Undefined:
      return true;
  }
  return false;
}

// ---- encoding ----------------------------------------------------------------

namespace {

void put_head(Cbor::Bytes& out, std::uint8_t major, std::uint64_t v) {
  const std::uint8_t m = static_cast<std::uint8_t>(major << 5);
  if (v < 24) {
    out.push_back(m | static_cast<std::uint8_t>(v));
  } else if (v <= 0xFF) {
    out.push_back(m | 24);
    out.push_back(static_cast<std::uint8_t>(v));
  } else if (v <= 0xFFFF) {
    out.push_back(m | 25);
    for (int s = 8; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  } else if (v <= 0xFFFFFFFFull) {
    out.push_back(m | 26);
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  } else {
    out.push_back(m | 27);
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  }
}

// Half-precision bits for v when the conversion is exact, else -1.
int exact_half(double v) {
  if (std::isnan(v)) return 0x7E00;
  if (std::isinf(v)) return v > 0 ? 0x7C00 : 0xFC00;
  if (v == 0) return std::signbit(v) ? 0x8000 : 0x0000;
  const int sign = std::signbit(v) ? 0x8000 : 0;
  int exp = 0;
  const double mant = std::frexp(std::fabs(v), &exp);  // |v| = mant * 2^exp, mant in [0.5,1)
  // Normal halves: |v| in [2^-14, 65504], 11 significant bits.
  if (exp >= -13 && exp <= 16) {
    const double scaled = mant * 2048.0;  // 11 bits
    if (scaled != std::floor(scaled)) return -1;
    const int m = static_cast<int>(scaled) - 1024;
    return sign | ((exp + 14) << 10) | m;
  }
  // Subnormal halves: multiples of 2^-24 below 2^-14.
  if (exp < -13 && exp >= -23) {
    const double scaled = std::fabs(v) * 16777216.0;  // 2^24
    if (scaled != std::floor(scaled)) return -1;
    return sign | static_cast<int>(scaled);
  }
  return -1;
}

void put_float(Cbor::Bytes& out, double v) {
  if (int h = exact_half(v); h >= 0) {
    out.push_back(0xF9);
    out.push_back(static_cast<std::uint8_t>(h >> 8));
    out.push_back(static_cast<std::uint8_t>(h));
    return;
  }
  const float f = static_cast<float>(v);
  if (static_cast<double>(f) == v) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    out.push_back(0xFA);
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(bits >> s));
    return;
  }
  std::uint64_t bits;
  std::memcpy(&bits, &v, 8);
  out.push_back(0xFB);
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(bits >> s));
}

}  // namespace

void cbor_encode_to(const Cbor& c, Cbor::Bytes& out) {
  switch (c.kind()) {
    case Cbor::Kind::Int: {
      const std::int64_t v = c.as_int();
      if (v >= 0)
        put_head(out, 0, static_cast<std::uint64_t>(v));
      else
        put_head(out, 1, static_cast<std::uint64_t>(-(v + 1)));
      break;
    }
    case Cbor::Kind::Bytes:
      put_head(out, 2, c.as_bytes().size());
      out.insert(out.end(), c.as_bytes().begin(), c.as_bytes().end());
      break;
    case Cbor::Kind::Text:
      if (!is_valid_utf8(c.as_text()))
        throw Error(ErrorKind::InvalidInput,
                    "CBOR text must be valid UTF-8: \"" + sanitize_utf8(c.as_text()) + "\"");
      put_head(out, 3, c.as_text().size());
      out.insert(out.end(), c.as_text().begin(), c.as_text().end());
      break;
    case Cbor::Kind::Array:
      put_head(out, 4, c.as_array().size());
      for (const auto& item : c.as_array()) cbor_encode_to(item, out);
      break;
    case Cbor::Kind::Map: {
      // Deterministic: keys ordered by their encoded bytes (bytewise lexicographic).
      std::vector<std::pair<Cbor::Bytes, const Cbor*>> sorted;
      sorted.reserve(c.as_map().size());
      for (const auto& [k, v] : c.as_map()) sorted.emplace_back(cbor_encode(k), &v);
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i].first == sorted[i - 1].first)
          throw Error(ErrorKind::InvalidInput, "a CBOR map may not repeat a key");
      put_head(out, 5, sorted.size());
      for (const auto& [k, v] : sorted) {
        out.insert(out.end(), k.begin(), k.end());
        cbor_encode_to(*v, out);
      }
      break;
    }
    case Cbor::Kind::Tag:
      put_head(out, 6, c.tag_number());
      cbor_encode_to(c.tag_content(), out);
      break;
    case Cbor::Kind::Bool:
      out.push_back(c.as_bool() ? 0xF5 : 0xF4);
      break;
    case Cbor::Kind::Null:
      out.push_back(0xF6);
      break;
    case Cbor::Kind::Undefined:
      out.push_back(0xF7);
      break;
    case Cbor::Kind::Float:
      put_float(out, c.as_float());
      break;
  }
}

Cbor::Bytes cbor_encode(const Cbor& value) {
  Cbor::Bytes out;
  cbor_encode_to(value, out);
  return out;
}

// ---- decoding ----------------------------------------------------------------

namespace {

class Decoder {
 public:
  Decoder(std::span<const std::uint8_t> d, const CborLimits& l) : data_(d), limits_(l) {}

  Cbor item(std::size_t depth) {
    if (depth > limits_.max_depth) fail("nesting deeper than " + std::to_string(limits_.max_depth));
    if (++items_ > limits_.max_items)
      fail("more than " + std::to_string(limits_.max_items) + " items");
    const std::uint8_t ib = byte();
    const std::uint8_t major = ib >> 5;
    const std::uint8_t info = ib & 0x1F;
    if (major == 7) return simple(info);
    const std::uint64_t arg = argument(info);
    switch (major) {
      case 0:
        if (arg > static_cast<std::uint64_t>(INT64_MAX)) fail("integer beyond 64-bit signed range");
        return Cbor(static_cast<std::int64_t>(arg));
      case 1:
        if (arg > static_cast<std::uint64_t>(INT64_MAX)) fail("integer beyond 64-bit signed range");
        return Cbor(-1 - static_cast<std::int64_t>(arg));
      case 2: {
        auto s = take(arg);
        return Cbor(Cbor::Bytes(s.begin(), s.end()));
      }
      case 3: {
        auto s = take(arg);
        std::string text(s.begin(), s.end());
        if (!is_valid_utf8(text)) fail("text string is not valid UTF-8");
        return Cbor(std::move(text));
      }
      case 4: {
        // Every item needs at least one byte, so a count above what is left is a lie;
        // checking first keeps a hostile count from driving a huge reserve().
        if (arg > remaining()) fail("array length beyond the data");
        std::vector<Cbor> items;
        items.reserve(static_cast<std::size_t>(arg));
        for (std::uint64_t i = 0; i < arg; ++i) items.push_back(item(depth + 1));
        return Cbor::array(std::move(items));
      }
      case 5: {
        if (arg > remaining() / 2) fail("map length beyond the data");
        std::vector<Cbor::Entry> entries;
        entries.reserve(static_cast<std::size_t>(arg));
        for (std::uint64_t i = 0; i < arg; ++i) {
          Cbor k = item(depth + 1);
          Cbor v = item(depth + 1);
          entries.emplace_back(std::move(k), std::move(v));
        }
        return Cbor::map(std::move(entries));
      }
      case 6:
        return Cbor::tag(arg, item(depth + 1));
    }
    fail("unknown major type");
  }

  std::size_t remaining() const { return data_.size() - pos_; }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(ErrorKind::InvalidInput,
                "malformed CBOR at byte " + std::to_string(pos_) + ": " + why);
  }
  std::uint8_t byte() {
    if (pos_ >= data_.size()) fail("unexpected end of data");
    return data_[pos_++];
  }
  std::span<const std::uint8_t> take(std::uint64_t n) {
    if (n > remaining()) fail("length " + std::to_string(n) + " beyond the data");
    auto s = data_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  std::uint64_t be(int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | byte();
    return v;
  }
  std::uint64_t argument(std::uint8_t info) {
    if (info < 24) return info;
    if (info == 24) return be(1);
    if (info == 25) return be(2);
    if (info == 26) return be(4);
    if (info == 27) return be(8);
    if (info == 31) fail("indefinite lengths are not allowed (C2PA requires deterministic CBOR)");
    fail("reserved additional information " + std::to_string(info));
  }
  Cbor simple(std::uint8_t info) {
    switch (info) {
      case 20:
        return Cbor(false);
      case 21:
        return Cbor(true);
      case 22:
        return Cbor();
      case 23:
        return Cbor::undefined();
      case 25: {
        const auto h = static_cast<std::uint16_t>(be(2));
        const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
        double v = e == 0    ? std::ldexp(m, -24)
                   : e == 31 ? (m ? NAN : INFINITY)
                             : std::ldexp(m + 1024, e - 25);
        return Cbor((h & 0x8000) ? -v : v);
      }
      case 26: {
        const auto bits = static_cast<std::uint32_t>(be(4));
        float f;
        std::memcpy(&f, &bits, 4);
        return Cbor(static_cast<double>(f));
      }
      case 27: {
        const std::uint64_t bits = be(8);
        double d;
        std::memcpy(&d, &bits, 8);
        return Cbor(d);
      }
    }
    fail("unsupported simple value " + std::to_string(info));
  }

  std::span<const std::uint8_t> data_;
  const CborLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
};

}  // namespace

Cbor cbor_decode(std::span<const std::uint8_t> data, const CborLimits& limits) {
  Decoder d(data, limits);
  Cbor c = d.item(0);
  if (d.remaining() != 0)
    throw Error(ErrorKind::InvalidInput,
                "malformed CBOR: " + std::to_string(d.remaining()) + " bytes after the item");
  return c;
}

Cbor cbor_from_json(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return Cbor();
    case Json::value_t::boolean:
      return Cbor(j.get<bool>());
    case Json::value_t::number_integer:
      return Cbor(j.get<std::int64_t>());
    case Json::value_t::number_unsigned: {
      const auto u = j.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return Cbor(static_cast<double>(u));
      return Cbor(static_cast<std::int64_t>(u));
    }
    case Json::value_t::number_float:
      return Cbor(j.get<double>());
    case Json::value_t::string:
      return Cbor(j.get<std::string>());
    case Json::value_t::array: {
      Cbor a = Cbor::array();
      for (const auto& e : j) a.push(cbor_from_json(e));
      return a;
    }
    case Json::value_t::object: {
      Cbor m = Cbor::map();
      for (const auto& [k, v] : j.items()) m.set(Cbor(k), cbor_from_json(v));
      return m;
    }
    default:
      throw Error(ErrorKind::InvalidInput, "JSON value cannot be written as CBOR");
  }
}

Json cbor_to_json(const Cbor& c) {
  switch (c.kind()) {
    case Cbor::Kind::Int:
      return c.as_int();
    case Cbor::Kind::Bytes:
      return to_hex(c.as_bytes());
    case Cbor::Kind::Text:
      return c.as_text();
    case Cbor::Kind::Array: {
      Json a = Json::array();
      for (const auto& e : c.as_array()) a.push_back(cbor_to_json(e));
      return a;
    }
    case Cbor::Kind::Map: {
      Json o = Json::object();
      for (const auto& [k, v] : c.as_map()) {
        std::string key = k.is_text() ? k.as_text() : cbor_to_json(k).dump();
        o[key] = cbor_to_json(v);
      }
      return o;
    }
    case Cbor::Kind::Tag:
      return cbor_to_json(c.tag_content());
    case Cbor::Kind::Bool:
      return c.as_bool();
    case Cbor::Kind::Float:
      return std::isfinite(c.as_float()) ? Json(c.as_float()) : Json();
    case Cbor::Kind::Null:
    case Cbor::Kind::Undefined:
      return nullptr;
  }
  return nullptr;
}

}  // namespace reel::provenance
