// libFuzzer target for batch rows files (CSV and JSONL) and the CSV writer. Any exception
// other than reel::Error, an Internal error, a crash, a leak or UB is a finding; so is a
// cell over the limit, a row whose cell count differs from the header, a problem or row
// line outside the file, or a csv_cell that does not read back as what was written.
// Run: ./build-fuzz/bin/fuzz_batch_rows -max_total_time=60 fuzz/corpus/batch_rows
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "reel/batch/rows.hpp"
#include "reel/core/error.hpp"

namespace {

using namespace reel;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

void check_rows(const batch::Rows& r, std::string_view text, bool csv) {
  const int lines = int(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const auto& row : r.rows) {
    check(row.line >= 1 && row.line <= lines, "row line inside the file");
    if (csv) check(row.cells.size() == r.columns.size(), "a CSV row has a cell per column");
    for (const auto& [k, v] : row.cells) {
      check(v.size() <= batch::kMaxCellBytes, "cells within the limit");
      check(batch::valid_utf8(v), "cells are UTF-8");
    }
  }
  for (const auto& p : r.problems) check(p.line >= 1 && p.line <= lines, "problem line inside");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool csv : {true, false}) {
    try {
      batch::Rows r = csv ? batch::parse_csv(text, "fuzz") : batch::parse_jsonl(text, "fuzz");
      check_rows(r, text, csv);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Internal) std::abort();
    }
  }
  // What csv_cell writes reads back as the same text (after the formula escape).
  if (size <= 4096 && batch::valid_utf8(text)) {
    batch::Rows back = batch::parse_csv("v\n" + batch::csv_cell(text) + "\n", "fuzz");
    std::string expect(text);
    if (!expect.empty() && std::string_view("=+-@\t\r").find(expect[0]) != std::string_view::npos)
      expect.insert(expect.begin(), '\'');
    // A whole-blank record (the empty cell) is a blank line, not a row.
    if (!expect.empty()) {
      check(back.rows.size() == 1 && back.problems.empty(), "csv_cell reads back as one row");
      check(back.rows[0].cells.at("v") == expect, "csv_cell round-trips");
    }
  }
  return 0;
}
