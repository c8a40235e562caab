// JSONL rows, rows from a JSON list (the Python API), loading a rows file by its
// extension, and the UTF-8 check every cell passes.
#include "reel/batch/rows.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "batch/rows_detail.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"

namespace reel::batch {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A JSON value as a cell: text as is, numbers and booleans as their JSON text. Objects,
// lists and null have no single text, so they are refused (naming the key).
std::string cell_text(const Json& v, const std::string& key, std::string& problem) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean() || v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15)
      return std::to_string(static_cast<long long>(d));
    return v.dump();
  }
  if (problem.empty())
    problem = "'" + key + "' is " +
              (v.is_null()    ? "null"
               : v.is_array() ? "a list"
                              : "an object") +
              "; a cell is text, a number or a boolean";
  return {};
}

// One object → a row, or a problem.
void add_object(const Json& obj, int line, Rows& out, std::set<std::string>& columns) {
  if (!obj.is_object()) {
    out.problems.push_back({line, "is not a JSON object; each line holds one {\"column\": value}"});
    return;
  }
  if (obj.size() > kMaxColumns) {
    out.problems.push_back({line, "has more than " + std::to_string(kMaxColumns) + " keys"});
    return;
  }
  Row row;
  row.line = line;
  std::string problem;
  for (const auto& [key, value] : obj.items()) {
    std::string text = cell_text(value, key, problem);
    if (problem.empty() && text.size() > kMaxCellBytes)
      problem = "'" + key + "' is over the " + std::to_string(kMaxCellBytes / 1024) +
                " KiB limit of a cell";
    row.cells[key] = std::move(text);
  }
  if (!problem.empty()) {
    out.problems.push_back({line, problem});
    return;
  }
  for (const auto& [key, value] : row.cells) columns.insert(key);
  out.rows.push_back(std::move(row));
}

}  // namespace

Rows parse_jsonl(std::string_view text, const std::string& what) {
  detail::check_file_size(text, what);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  Rows out;
  std::set<std::string> columns;
  int line = 0;
  while (!text.empty()) {
    ++line;
    auto nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
    detail::check_row_count(out, line, what);
    // A line over the cell limit times the column limit cannot be a valid row.
    if (l.size() > kMaxCellBytes * 4) {
      out.problems.push_back({line, "is " + std::to_string(l.size()) +
                                        " bytes; a cell may be at most " +
                                        std::to_string(kMaxCellBytes / 1024) + " KiB"});
      continue;
    }
    if (!valid_utf8(l)) {
      out.problems.push_back({line, "is not valid UTF-8"});
      continue;
    }
    // Rows are flat: a depth past 2 is refused while parsing, before it is built.
    auto guard = [](int depth, Json::parse_event_t, Json&) {
      if (depth > 2) throw Error(ErrorKind::InvalidInput, "nested");
      return true;
    };
    Json obj;
    try {
      obj = Json::parse(l.begin(), l.end(), guard);
    } catch (const Json::exception& e) {
      std::string msg = e.what();
      auto at = msg.find("column ");
      auto colon = at == std::string::npos ? std::string::npos : msg.find(": ", at);
      out.problems.push_back({line, "is not valid JSON (" +
                                        (colon == std::string::npos ? msg : msg.substr(colon + 2)) +
                                        "); each line holds one {\"column\": value} object"});
      continue;
    } catch (const Error&) {
      out.problems.push_back(
          {line, "nests lists or objects; a cell is text, a number or a boolean"});
      continue;
    }
    add_object(obj, line, out, columns);
  }
  out.columns.assign(columns.begin(), columns.end());
  return out;
}

Rows rows_from_json(const Json& list, const std::string& what) {
  if (!list.is_array())
    throw Error(ErrorKind::InvalidInput, what + ": rows must be a list of objects (dicts)");
  Rows out;
  std::set<std::string> columns;
  for (std::size_t i = 0; i < list.size(); ++i) {
    detail::check_row_count(out, int(i + 1), what);
    const Json& obj = list[i];
    bool utf8 = true;
    if (obj.is_object())
      for (const auto& [k, v] : obj.items())
        if (!valid_utf8(k) || (v.is_string() && !valid_utf8(v.get_ref<const std::string&>())))
          utf8 = false;
    if (!utf8) {
      out.problems.push_back({int(i + 1), "is not valid UTF-8"});
      continue;
    }
    add_object(obj, int(i + 1), out, columns);
  }
  out.columns.assign(columns.begin(), columns.end());
  return out;
}

Rows load_rows(const fs::path& path) {
  const std::string ext = lower(path.extension().string());
  const std::string what = path.string();
  if (ext != ".csv" && ext != ".jsonl" && ext != ".ndjson")
    throw Error(ErrorKind::InvalidInput,
                what +
                    ": a rows file is .csv (a header row, then one row per line) or "
                    ".jsonl/.ndjson (one JSON object per line); got '" +
                    ext + "'");
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorKind::NotFound, what + ": no such rows file");
  std::string text = read_file(path, kMaxRowsFileBytes);
  return ext == ".csv" ? parse_csv(text, what) : parse_jsonl(text, what);
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace reel::batch
