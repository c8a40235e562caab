#pragma once
// A small, strict argument parser: every option is declared, unknown ones are
// refused with the list of allowed ones.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace reel::cli {

class Args {
 public:
  // flags: options without a value ("--json"); valued: options taking one ("--out");
  // repeated: valued options that may appear many times ("--set").
  Args(const std::vector<std::string>& argv, std::set<std::string> flags,
       std::set<std::string> valued, std::set<std::string> repeated = {});

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // The i-th positional argument; InvalidInput naming `what` when missing.
  const std::string& need(std::size_t i, const std::string& what) const;
  void max_positional(std::size_t n, const std::string& usage) const;

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

long long parse_integer(const std::string& text, const std::string& what, long long lo,
                        long long hi);
// A byte count: N, or N with a unit — KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB
// (powers of 1024), case-insensitive, e.g. "50MB", "2GiB". InvalidInput naming the forms.
std::uint64_t parse_bytes(const std::string& text, const std::string& what);

}  // namespace reel::cli
