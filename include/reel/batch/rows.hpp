#pragma once
// Rows of a catalogue batch: a CSV (RFC 4180, header row required) or JSONL (one JSON
// object per line) file read into cells by column name. These are untrusted bytes
// (fuzz/fuzz_batch_rows.cpp): a problem with one row is recorded with its line and the
// other rows still parse; only a problem with the whole file (no header, too large, a
// duplicate column) throws.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reel/core/json.hpp"

namespace reel::batch {

// Limits on hostile rows files (docs/cli.md, "reel batch").
constexpr std::size_t kMaxCellBytes = 64 * 1024;       // one cell, after unquoting
constexpr std::size_t kMaxRowsFileBytes = 256u << 20;  // the whole file
constexpr std::size_t kMaxRows = 1'000'000;            // data rows
constexpr std::size_t kMaxColumns = 256;               // header cells / object keys

struct Row {
  int line = 0;  // 1-based line of the file where the row starts (the header is line 1)
  std::map<std::string, std::string> cells;
};

struct RowProblem {
  int line = 0;
  std::string message;  // what is wrong and what is allowed, without the "line N: " prefix
};

struct Rows {
  std::vector<std::string> columns;  // CSV: the header; JSONL: every key seen, sorted
  std::vector<Row> rows;             // the rows that parsed
  std::vector<RowProblem> problems;  // the rows that did not, in line order
};

// `what` names the file in messages. Throws InvalidInput for whole-file problems.
Rows parse_csv(std::string_view text, const std::string& what = "rows");
Rows parse_jsonl(std::string_view text, const std::string& what = "rows");
// .csv → CSV; .jsonl / .ndjson → JSONL; anything else is refused (naming both).
Rows load_rows(const std::filesystem::path& path);
// A list of JSON objects (the Python API's list of dicts); row i is "line" i+1.
Rows rows_from_json(const Json& list, const std::string& what = "rows");

// A cell for a spreadsheet: one starting with =, +, -, @ (or a tab / carriage return,
// which some spreadsheets strip before reading a formula) gets a leading ' so it is
// shown as text, never run (CSV injection); then quoted per RFC 4180 when it needs it.
std::string csv_cell(std::string_view text);

// Overlong forms, surrogates and code points past U+10FFFF are invalid.
bool valid_utf8(std::string_view text);

}  // namespace reel::batch
