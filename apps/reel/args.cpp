#include "args.hpp"

#include <cctype>
#include <charconv>

#include "reel/core/error.hpp"

namespace reel::cli {
namespace {

std::string list(const std::set<std::string>& a, const std::set<std::string>& b,
                 const std::set<std::string>& c) {
  std::set<std::string> all(a);
  all.insert(b.begin(), b.end());
  all.insert(c.begin(), c.end());
  std::string out;
  for (auto& s : all) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

Args::Args(const std::vector<std::string>& argv, std::set<std::string> flags,
           std::set<std::string> valued, std::set<std::string> repeated) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a, val;
      bool has_inline = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        val = a.substr(eq + 1);
        has_inline = true;
      }
      if (flags.count(name)) {
        if (has_inline) throw Error(ErrorKind::InvalidInput, name + " takes no value");
        flags_.insert(name);
      } else if (valued.count(name) || repeated.count(name)) {
        if (!has_inline) {
          if (i + 1 >= argv.size()) throw Error(ErrorKind::InvalidInput, name + " needs a value");
          val = argv[++i];
        }
        auto& v = values_[name];
        if (!v.empty() && !repeated.count(name))
          throw Error(ErrorKind::InvalidInput, name + " may be given only once");
        v.push_back(val);
      } else {
        throw Error(ErrorKind::InvalidInput,
                    "unknown option " + name + "; allowed: " + list(flags, valued, repeated));
      }
    } else {
      positional_.push_back(a);
    }
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

const std::string& Args::need(std::size_t i, const std::string& what) const {
  if (i >= positional_.size()) throw Error(ErrorKind::InvalidInput, "missing " + what);
  return positional_[i];
}

void Args::max_positional(std::size_t n, const std::string& usage) const {
  if (positional_.size() > n)
    throw Error(ErrorKind::InvalidInput,
                "unexpected argument '" + positional_[n] + "'; usage: " + usage);
}

long long parse_integer(const std::string& text, const std::string& what, long long lo,
                        long long hi) {
  long long v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < lo || v > hi)
    throw Error(ErrorKind::InvalidInput, what + " must be an integer in " + std::to_string(lo) +
                                             ".." + std::to_string(hi) + ", got '" + text + "'");
  return v;
}

std::uint64_t parse_bytes(const std::string& text, const std::string& what) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string unit = text.substr(digits);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, std::uint64_t> units[] = {{"", 1},
                                                                {"b", 1},
                                                                {"kb", 1000ull},
                                                                {"mb", 1000ull * 1000},
                                                                {"gb", 1000000000ull},
                                                                {"tb", 1000000000000ull},
                                                                {"kib", 1ull << 10},
                                                                {"mib", 1ull << 20},
                                                                {"gib", 1ull << 30},
                                                                {"tib", 1ull << 40}};
  const auto bad = [&] {
    return Error(ErrorKind::InvalidInput,
                 what +
                     " must be a byte count: N, or N with KB, MB, GB, TB (x1000) or KiB, "
                     "MiB, GiB, TiB (x1024), e.g. 50MB; got '" +
                     text + "'");
  };
  if (digits == 0 || digits > 15) throw bad();
  for (const auto& [name, factor] : units)
    if (unit == name) {
      const std::uint64_t n = std::stoull(text.substr(0, digits));
      if (n > (std::uint64_t(1) << 62) / factor) throw bad();  // past any disk: a typo
      return n * factor;
    }
  throw bad();
}

}  // namespace reel::cli
