#include "pipeline/pipeline_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "reel/core/error.hpp"

namespace reel::pipeline::detail {
namespace {

constexpr std::string_view kCoreTag = "tag:yaml.org,2002:";

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}
bool is_dec(char c) {
  return c >= '0' && c <= '9';
}
bool is_oct(char c) {
  return c >= '0' && c <= '7';
}
bool is_hex(char c) {
  return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_float_text(std::string_view s) {
  std::size_t i = 0, n = s.size();
  if (i < n && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < n && is_dec(s[i])) ++i, ++int_digits;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && is_dec(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '-' || s[i] == '+')) ++i;
    if (!all_of(s.substr(i), is_dec)) return false;
    return true;
  }
  return i == n;
}

Json integer(std::string_view digits, bool negative, int base) {
  if (!negative) {
    unsigned long long u = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    if (ec == std::errc() && p == digits.data() + digits.size()) {
      if (u <= (unsigned long long)std::numeric_limits<long long>::max()) return (long long)u;
      return u;
    }
  } else {
    unsigned long long u = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    constexpr auto kMinMagnitude = (unsigned long long)std::numeric_limits<long long>::max() + 1;
    if (ec == std::errc() && p == digits.data() + digits.size() && u <= kMinMagnitude)
      return u == kMinMagnitude ? std::numeric_limits<long long>::min() : -(long long)u;
  }
  // Past 64 bits: YAML still calls it an integer; the nearest double keeps its size
  // visible to range checks ("seed must be ...").
  double d = 0;
  for (char c : digits) d = d * base + (is_dec(c) ? c - '0' : (c | 0x20) - 'a' + 10);
  return negative ? -d : d;
}

[[noreturn]] void fail(const std::string& what, const YAML::Mark& mark, const std::string& msg) {
  std::string where = what;
  if (!mark.is_null())
    where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  throw Error(ErrorKind::InvalidInput, where + ": " + msg);
}

std::string escape_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// Walks yaml-cpp's node graph. Aliases share nodes there, so the walk counts every
// visit: a "billion laughs" document stops at the node and byte budgets instead of
// expanding, and a self-referencing alias stops at the depth limit.
class Converter {
 public:
  Converter(const std::string& what, YamlDocument& doc) : what_(what), doc_(doc) {}

  Json convert(const YAML::Node& node, const std::string& pointer, int depth) {
    const YAML::Mark mark = node.Mark();
    if (depth > kMaxDepth)
      fail(what_, mark, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (++nodes_ > kMaxNodes)
      fail(what_, mark,
           "more than " + std::to_string(kMaxNodes) +
               " values (after expanding aliases); a pipeline needs far fewer");
    if (!mark.is_null()) doc_.positions[pointer] = Position{mark.line + 1, mark.column + 1};
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        Json list = Json::array();
        std::size_t i = 0;
        for (const YAML::Node& item : node)
          list.push_back(convert(item, pointer + "/" + std::to_string(i++), depth + 1));
        return list;
      }
      case YAML::NodeType::Map: {
        Json map = Json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar())
            fail(what_, kv.first.Mark(), "keys must be plain text, not lists or mappings");
          const std::string& key = kv.first.Scalar();
          if (!valid_utf8(key)) fail(what_, kv.first.Mark(), "a key is not valid UTF-8");
          if (map.contains(key)) fail(what_, kv.first.Mark(), "duplicate key '" + key + "'");
          count_text(key.size(), kv.first.Mark());
          map[key] = convert(kv.second, pointer + "/" + escape_token(key), depth + 1);
        }
        return map;
      }
    }
    fail(what_, mark, "unexpected YAML node");
  }

 private:
  void count_text(std::size_t bytes, const YAML::Mark& mark) {
    text_bytes_ += bytes;
    if (text_bytes_ > kMaxTextBytes)
      fail(what_, mark,
           "more than " + std::to_string(kMaxTextBytes >> 20) +
               " MiB of text (after expanding aliases)");
  }

  Json scalar(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    count_text(text.size(), node.Mark());
    // Everything downstream (reports, cache keys, JSON errors) needs valid UTF-8.
    if (!valid_utf8(text)) fail(what_, node.Mark(), "text is not valid UTF-8");
    // "!" marks quoted and block scalars: always strings.
    if (tag == "!" || tag == std::string(kCoreTag) + "str") return text;
    Json value;
    if (tag.empty() || tag == "?") {
      value = plain_scalar(text);
    } else if (tag.compare(0, kCoreTag.size(), kCoreTag) == 0) {
      std::string type = tag.substr(kCoreTag.size());
      value = plain_scalar(text);
      bool ok = (type == "int" && value.is_number_integer()) ||
                (type == "float" && value.is_number()) || (type == "bool" && value.is_boolean()) ||
                (type == "null" && value.is_null());
      if (!ok) fail(what_, node.Mark(), "'" + text + "' is not a valid !!" + type);
      if (type == "float") value = value.get<double>();
    } else {
      fail(what_, node.Mark(),
           "unsupported tag '" + tag + "'; only !!str, !!int, !!float, !!bool and !!null");
    }
    if (value.is_number_float() && !std::isfinite(value.get<double>()))
      fail(what_, node.Mark(), "'" + text + "' is not a finite number");
    return value;
  }

  const std::string& what_;
  YamlDocument& doc_;
  std::size_t nodes_ = 0;
  std::size_t text_bytes_ = 0;
};

// yaml-cpp reports a tab in the indentation as whatever it broke ("illegal block
// entry"); say what the usual cause is when the line at or before the error has one.
std::string tab_hint(std::string_view text, const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  int line = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (line == mark.line - 1 || line == mark.line) {
      std::string_view l = text.substr(start, end - start);
      std::size_t indent = l.find_first_not_of(" \t");
      if (l.substr(0, indent).find('\t') != std::string_view::npos)
        return " (line " + std::to_string(line + 1) +
               " is indented with a tab; YAML indents with spaces only)";
    }
    if (line >= mark.line) break;
    start = end + 1;
    ++line;
  }
  return {};
}

}  // namespace

bool valid_utf8(std::string_view s) {
  std::size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80           ? 0
                : (c >> 5) == 0x6  ? 1
                : (c >> 4) == 0xE  ? 2
                : (c >> 3) == 0x1E ? 3
                                   : -1;
    if (extra < 0 || n - i <= std::size_t(extra)) return false;
    std::uint32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    // The longest valid sequence starting here, else one byte replaced.
    std::size_t len = 1;
    while (len <= 4 && i + len <= s.size() && !valid_utf8(s.substr(i, len))) ++len;
    if (len <= 4 && i + len <= s.size()) {
      out += s.substr(i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return out;
}

Json plain_scalar(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  bool negative = s[0] == '-';
  std::string_view body = (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  if (all_of(body, is_dec)) return integer(body, negative, 10);
  if (s.size() > 2 && s.substr(0, 2) == "0x" && all_of(s.substr(2), is_hex))
    return integer(s.substr(2), false, 16);
  if (s.size() > 2 && s.substr(0, 2) == "0o" && all_of(s.substr(2), is_oct))
    return integer(s.substr(2), false, 8);
  if (body == ".inf" || body == ".Inf" || body == ".INF")
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  if (is_float_text(s)) {
    double d = 0;
    auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), d);
    if (ec == std::errc::result_out_of_range)  // strtod rounds to 0 or HUGE_VAL instead
      d = std::strtod(std::string(body).c_str(), nullptr);
    else if (ec != std::errc() || p != body.data() + body.size())
      return std::string(s);
    return negative ? -d : d;
  }
  return std::string(s);
}

YamlDocument parse_yaml(std::string_view text, const std::string& what) {
  YamlDocument doc;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    fail(what, e.mark, e.msg + tab_hint(text, e.mark));
  }
  try {
    doc.value = Converter(what, doc).convert(root, "", 0);
  } catch (const YAML::Exception& e) {
    fail(what, e.mark, e.msg);
  }
  return doc;
}

}  // namespace reel::pipeline::detail
