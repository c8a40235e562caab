#include "reel/neural/prompt_clean.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "reel/core/error.hpp"

namespace reel::neural {

namespace {

#include "html_entities.inc"

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  auto bad = [&](std::size_t at) {
    throw Error(ErrorKind::InvalidInput,
                "prompt is not valid UTF-8 (bad byte at offset " + std::to_string(at) + ")");
  };
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int n = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      n = 1, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3, cp = b & 0x07;
    } else {
      bad(i);
    }
    if (n > 0 && i + static_cast<std::size_t>(n) >= s.size()) bad(i);
    for (int k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((c & 0xC0) != 0x80) bad(i + static_cast<std::size_t>(k));
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) bad(i);
    out.push_back(cp);
    i += static_cast<std::size_t>(n) + 1;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string encode_utf8(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) append_utf8(out, cp);
  return out;
}

// Python's str.isspace(), which is what `\s` and str.strip() use on str.
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool is_digit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char32_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char32_t c) {
  if (is_digit(c)) return static_cast<int>(c - '0');
  return static_cast<int>((c | 0x20) - 'a' + 10);
}

const std::string_view* find_entity(const std::u32string& name) {
  std::string key;
  for (char32_t c : name) {
    if (c >= 0x80) return nullptr;  // every entity name is ASCII
    key += static_cast<char>(c);
  }
  const auto* begin = std::begin(kHtmlEntities);
  const auto* end = std::end(kHtmlEntities);
  const auto* it = std::lower_bound(begin, end, key, [](const auto& entry, const std::string& k) {
    return entry.first < std::string_view(k);
  });
  if (it == end || it->first != key) return nullptr;
  return &it->second;
}

// One numeric reference's replacement, as Python's html module maps it.
std::u32string numeric_reference(std::uint64_t num) {
  for (const auto& [from, to] : kInvalidCharrefs) {
    if (num == from) return std::u32string(1, static_cast<char32_t>(to));
  }
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return U"\uFFFD";
  for (auto c : kInvalidCodepoints) {
    if (num == c) return U"";
  }
  return std::u32string(1, static_cast<char32_t>(num));
}

std::u32string unescape(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != U'&') {
      out += s[i++];
      continue;
    }
    const std::size_t start = i + 1;
    // Numeric: &#123 or &#x7B, the ';' optional; digits are unbounded (saturated here).
    if (start < s.size() && s[start] == U'#') {
      std::size_t j = start + 1;
      const bool hex = j + 1 < s.size() && (s[j] == U'x' || s[j] == U'X') && is_hex(s[j + 1]);
      if (hex) ++j;
      if (j < s.size() && (hex ? is_hex(s[j]) : is_digit(s[j]))) {
        std::uint64_t num = 0;
        while (j < s.size() && (hex ? is_hex(s[j]) : is_digit(s[j]))) {
          num = std::min<std::uint64_t>(
              num * (hex ? 16 : 10) + static_cast<std::uint64_t>(hex_value(s[j])), 0x7FFFFFFF);
          ++j;
        }
        if (j < s.size() && s[j] == U';') ++j;
        out += numeric_reference(num);
        i = j;
        continue;
      }
      out += U'&';  // "&#" with nothing numeric after it stays as it is
      ++i;
      continue;
    }
    // Named: up to 32 characters other than \t \n \f space < & # ;, then an optional ';'.
    std::size_t j = start;
    while (j < s.size() && j - start < 32) {
      const char32_t c = s[j];
      if (c == U'\t' || c == U'\n' || c == U'\f' || c == U' ' || c == U'<' || c == U'&' ||
          c == U'#' || c == U';') {
        break;
      }
      ++j;
    }
    if (j == start) {
      out += U'&';
      ++i;
      continue;
    }
    if (j < s.size() && s[j] == U';') ++j;
    const std::u32string name = s.substr(start, j - start);
    if (const auto* v = find_entity(name)) {
      out += decode_utf8(*v);
    } else {
      // The longest prefix (at least two characters) that is a name the standard lets
      // appear without its ';', the rest kept as text.
      bool found = false;
      for (std::size_t x = name.size() - 1; x >= 2 && !found; --x) {
        if (const auto* p = find_entity(name.substr(0, x))) {
          out += decode_utf8(*p);
          out += name.substr(x);
          found = true;
        }
      }
      if (!found) {
        out += U'&';
        out += name;
      }
    }
    i = j;
  }
  return out;
}

// The character-level subset of ftfy.fix_text's default fixes (docs/neural.md): terminal
// escapes and control characters removed, Latin ligatures split, fullwidth ASCII narrowed,
// curly quotes straightened.
std::u32string ftfy_subset(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char32_t c = s[i];
    // ANSI terminal escapes: ESC [ digits/semicolons letter.
    if (c == 0x1B && i + 1 < s.size() && s[i + 1] == U'[') {
      std::size_t j = i + 2;
      while (j < s.size() && (is_digit(s[j]) || s[j] == U';')) ++j;
      if (j < s.size() && ((s[j] | 0x20) >= U'a' && (s[j] | 0x20) <= U'z')) {
        i = j;
        continue;
      }
    }
    const bool control = (c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
                         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF ||
                         (c >= 0xFFF9 && c <= 0xFFFC) || (c >= 0x1D173 && c <= 0x1D17A) ||
                         (c >= 0xE0000 && c <= 0xE007F);
    if (control) continue;
    switch (c) {
      case 0xFB00:
        out += U"ff";
        continue;
      case 0xFB01:
        out += U"fi";
        continue;
      case 0xFB02:
        out += U"fl";
        continue;
      case 0xFB03:
        out += U"ffi";
        continue;
      case 0xFB04:
        out += U"ffl";
        continue;
      case 0xFB05:
        out += U"\u017Ft";
        continue;
      case 0xFB06:
        out += U"st";
        continue;
      case 0x0132:
        out += U"IJ";
        continue;
      case 0x0133:
        out += U"ij";
        continue;
      default:
        break;
    }
    if (c >= 0xFF01 && c <= 0xFF5E) {
      out += static_cast<char32_t>(c - 0xFF01 + 0x21);
    } else if (c == 0x3000) {
      out += U' ';
    } else if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
      out += U'\'';
    } else if (c >= 0x201C && c <= 0x201F) {
      out += U'"';
    } else {
      out += c;
    }
  }
  return out;
}

std::u32string collapse_whitespace(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  bool pending = false;
  for (char32_t c : s) {
    if (is_space(c)) {
      pending = true;
      continue;
    }
    if (pending && !out.empty()) out += U' ';
    pending = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string html_unescape(std::string_view text) {
  if (text.find('&') == std::string_view::npos) return std::string(text);
  return encode_utf8(unescape(decode_utf8(text)));
}

std::string clean_prompt(std::string_view prompt) {
  auto s = ftfy_subset(decode_utf8(prompt));
  s = unescape(unescape(s));
  return encode_utf8(collapse_whitespace(s));
}

}  // namespace reel::neural
