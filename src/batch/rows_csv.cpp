// RFC 4180 CSV: fields separated by commas, records by CRLF or LF, a field in double
// quotes may hold commas, line breaks and "" for a quote. A UTF-8 BOM is skipped.
#include <set>

#include "batch/rows_detail.hpp"
#include "reel/batch/rows.hpp"
#include "reel/core/error.hpp"

namespace reel::batch {
namespace {

// One record as read: its cells, the line it started on, and what was wrong with it
// (the first problem; the rest of the record is still consumed so the next one starts
// at the right place).
struct Record {
  std::vector<std::string> cells;
  int line = 0;
  std::string problem;
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : t_(text) {
    if (t_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  bool done() const { return pos_ >= t_.size(); }

  // Reads the next record; at end of input returns false.
  bool next(Record& r) {
    r = Record{};
    if (done()) return false;
    r.line = line_;
    std::string cell;
    bool cell_too_big = false;
    auto add = [&](char c) {
      if (cell.size() < kMaxCellBytes)
        cell.push_back(c);
      else
        cell_too_big = true;
    };
    auto end_cell = [&] {
      if (cell_too_big && r.problem.empty())
        r.problem = "cell " + std::to_string(r.cells.size() + 1) + " is over the " +
                    std::to_string(kMaxCellBytes / 1024) + " KiB limit of a cell";
      r.cells.push_back(std::move(cell));
      cell.clear();
      cell_too_big = false;
    };
    auto fail = [&](const std::string& msg) {
      if (r.problem.empty()) r.problem = msg;
    };
    for (;;) {
      // At the start of a cell.
      if (pos_ < t_.size() && t_[pos_] == '"') {
        ++pos_;
        const int opened = line_;
        for (;;) {
          if (pos_ >= t_.size()) {
            fail("a quoted cell opened on line " + std::to_string(opened) +
                 " is not closed before the end of the file");
            end_cell();
            return true;
          }
          char c = t_[pos_++];
          if (c == '\n') ++line_;
          if (c != '"') {
            add(c);
            continue;
          }
          if (pos_ < t_.size() && t_[pos_] == '"') {
            add('"');
            ++pos_;
            continue;
          }
          break;  // the closing quote
        }
        if (pos_ < t_.size() && t_[pos_] != ',' && t_[pos_] != '\n' &&
            !(t_[pos_] == '\r' && pos_ + 1 < t_.size() && t_[pos_ + 1] == '\n')) {
          fail("text after the closing quote of cell " + std::to_string(r.cells.size() + 1) +
               "; inside quotes write a quote as \"\"");
          while (pos_ < t_.size() && t_[pos_] != ',' && t_[pos_] != '\n') ++pos_;
        }
      } else {
        while (pos_ < t_.size() && t_[pos_] != ',' && t_[pos_] != '\n') {
          char c = t_[pos_];
          if (c == '\r' && pos_ + 1 < t_.size() && t_[pos_ + 1] == '\n') break;
          if (c == '"')
            fail("a quote inside unquoted cell " + std::to_string(r.cells.size() + 1) +
                 "; quote the whole cell (\"...\") and write a quote as \"\"");
          add(c);
          ++pos_;
        }
      }
      end_cell();
      if (pos_ >= t_.size()) return true;
      if (t_[pos_] == ',') {
        ++pos_;
        if (r.cells.size() > kMaxColumns) {
          fail("more than " + std::to_string(kMaxColumns) + " cells");
          skip_line();
          return true;
        }
        continue;
      }
      if (t_[pos_] == '\r') ++pos_;
      ++pos_;  // '\n'
      ++line_;
      return true;
    }
  }

 private:
  void skip_line() {
    while (pos_ < t_.size() && t_[pos_] != '\n') ++pos_;
    if (pos_ < t_.size()) {
      ++pos_;
      ++line_;
    }
  }

  std::string_view t_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

bool blank(const Record& r) {
  return r.cells.size() == 1 && r.cells[0].empty();
}

}  // namespace

Rows parse_csv(std::string_view text, const std::string& what) {
  detail::check_file_size(text, what);
  CsvReader reader(text);
  Record rec;
  Rows out;
  while (reader.next(rec) && blank(rec)) {
  }
  if (rec.cells.empty() || blank(rec))
    throw Error(ErrorKind::InvalidInput,
                what +
                    ": the file is empty; a CSV rows file starts with a header row naming "
                    "its columns (e.g. sku,title,photo)");
  const std::string at_header = what + ":" + std::to_string(rec.line) + ": header row: ";
  if (!rec.problem.empty()) throw Error(ErrorKind::InvalidInput, at_header + rec.problem);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < rec.cells.size(); ++i) {
    const std::string& c = rec.cells[i];
    if (c.empty())
      throw Error(ErrorKind::InvalidInput,
                  at_header + "column " + std::to_string(i + 1) + " has no name");
    if (!valid_utf8(c))
      throw Error(ErrorKind::InvalidInput,
                  at_header + "column " + std::to_string(i + 1) + " is not valid UTF-8");
    if (!seen.insert(c).second)
      throw Error(ErrorKind::InvalidInput, at_header + "column '" + c + "' appears twice");
  }
  out.columns = rec.cells;
  while (reader.next(rec)) {
    if (blank(rec) && rec.problem.empty()) continue;  // a blank line (e.g. at the end)
    detail::check_row_count(out, rec.line, what);
    if (rec.problem.empty() && rec.cells.size() != out.columns.size())
      rec.problem = "has " + std::to_string(rec.cells.size()) + " cells; the header has " +
                    std::to_string(out.columns.size());
    for (std::size_t i = 0; rec.problem.empty() && i < rec.cells.size(); ++i)
      if (!valid_utf8(rec.cells[i]))
        rec.problem =
            "cell " + std::to_string(i + 1) + " ('" + out.columns[i] + "') is not valid UTF-8";
    if (!rec.problem.empty()) {
      out.problems.push_back({rec.line, rec.problem});
      continue;
    }
    Row row;
    row.line = rec.line;
    for (std::size_t i = 0; i < rec.cells.size(); ++i)
      row.cells[out.columns[i]] = std::move(rec.cells[i]);
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::string csv_cell(std::string_view text) {
  std::string s(text);
  if (!s.empty() &&
      (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
    s.insert(s.begin(), '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q.push_back('"');
    q.push_back(c);
  }
  q.push_back('"');
  return q;
}

}  // namespace reel::batch
