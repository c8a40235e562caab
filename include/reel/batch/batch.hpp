#pragma once
// Catalogue batches (`reel batch`, `reel.batch`): one pipeline template, one rendered
// output per row of a rows file, on this machine. Every row is filled and checked by the
// executor's own validation and pre-flight (Executor::plan) before anything renders;
// the rows then share one session and its artifact store, so a step identical across
// rows is computed once and is a $0 cache hit for every other row.
//
// Layout of the output folder:
//   <name>.mp4 / <name>.png + <name>.cost.json   one per succeeded row (written atomically)
//   batch.jsonl                                  the manifest (manifest.hpp)
//   batch.csv                                    key, line, status, output, usd, error, then
//                                                the row's own cells (injection-safe)
//   contact_sheet.png                            one frame per succeeded row (first 100)
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "reel/batch/manifest.hpp"
#include "reel/batch/rows.hpp"
#include "reel/core/cancel.hpp"
#include "reel/pipeline/graph.hpp"

namespace reel::sdk {
class Session;
}

namespace reel::batch {

// The seed article's ~$1.30 of GPU time per 10-second clip, shown beside a batch's cost.
inline constexpr double kArticleUsdPerClip = 1.30;
inline constexpr int kContactSheetRows = 100;  // rows shown on the contact sheet

struct BatchProgress {
  int done = 0;                         // rows finished this run (succeeded or failed)
  int failed = 0;                       // of them, failed
  int total = 0;                        // rows this run set out to render
  double seconds = 0;                   // since the first row started
  double usd = 0;                       // spent so far
  double projected_usd = 0;             // spent + the estimates of the rows not yet finished
  const ManifestEntry* last = nullptr;  // the row that just finished
};

struct BatchOptions {
  std::filesystem::path out_dir = "batch";
  // A name template per row ("{{sku}}"); empty = the pipeline's name when it has a
  // placeholder, else the row's line number.
  std::string name_template;
  int jobs = 1;                      // rows rendered at once
  std::optional<double> budget_usd;  // stop before the row that would exceed it
  bool resume = false;               // require DIR/batch.jsonl (a plain re-run also resumes)
  bool strict = false;               // any invalid row refuses the whole batch
  // Stops dispatching rows (those in flight finish): Ctrl-C. `cancel` stops rows in flight.
  CancelToken stop;
  CancelToken cancel;
  // Called under the batch's lock, from worker threads: keep it quick.
  std::function<void(const BatchProgress&)> on_progress;
};

struct InvalidRow {
  int line = 0;
  std::string key;  // when the name could be filled
  std::string error;
};

// A row ready to render: its filled pipeline, output name and plan.
struct PreparedRow {
  int line = 0;
  std::string key;
  pipeline::Graph graph;
  std::vector<std::string> step_keys;  // cache keys of its steps not already stored
  std::vector<double> step_usd;        // their estimates, same order
};

struct PreparedBatch {
  std::vector<PreparedRow> rows;    // valid rows, in line order
  std::vector<InvalidRow> invalid;  // in line order (parse problems included)
};

// Fills and plans every row. Throws InvalidInput for problems of the whole batch (the
// template names a column the rows file lacks, a malformed placeholder).
PreparedBatch prepare_batch(sdk::Session& session, const pipeline::Graph& tmpl, const Rows& rows,
                            const BatchOptions& options);

struct BatchResult {
  std::vector<InvalidRow> invalid;
  std::vector<ManifestEntry> finished;  // this run's rows (succeeded and failed)
  std::vector<ManifestEntry> manifest;  // the whole folder's final state, one per key, by line
  int resumed = 0;                      // rows skipped because an earlier run finished them
  int not_started = 0;                  // rows left by --budget or an interrupt
  int rows_fit = -1;  // with a budget: rows whose estimates fit it (-1: no budget)
  bool budget_stop = false;
  bool interrupted = false;
  double wall_seconds = 0;
  double usd = 0;  // this run's
  int executed = 0;
  int cached = 0;
  int succeeded() const;
  int failed() const;
  // 0 every row succeeded; 1 some rows failed or were invalid; 7 stopped by the budget;
  // 130 interrupted (docs/cli.md). A refused batch (--strict) throws instead (exit 2).
  int exit_code() const;
};

// Prepares (strict: throws InvalidInput listing every bad row), resumes from the
// manifest, renders, then writes batch.csv and the contact sheet.
BatchResult run_batch(sdk::Session& session, const pipeline::Graph& tmpl, const Rows& rows,
                      const BatchOptions& options);

// batch.csv and contact_sheet.png from the final manifest (batch_report.cpp).
// batch.csv has the row's own cells after reel's columns (the shape a shop uploads: its
// SKU and title beside the video and its cost); every cell goes through csv_cell.
void write_batch_csv(const std::filesystem::path& path, const std::vector<ManifestEntry>& entries,
                     const Rows& rows);
void write_contact_sheet(const std::filesystem::path& path, const std::vector<ManifestEntry>& rows);
// The end-of-batch summary for people (counts, wall time, $ total, $ per clip, the
// article's $1.30 x N).
std::string summary_text(const BatchResult& r);

}  // namespace reel::batch
