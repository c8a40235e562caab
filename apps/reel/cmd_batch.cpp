// reel batch PIPELINE --rows FILE: one output per row of a catalogue (docs/cli.md).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "args.hpp"
#include "commands.hpp"
#include "reel/batch/batch.hpp"
#include "reel/core/error.hpp"
#include "reel/core/units.hpp"
#include "reel/pipeline/pipeline_file.hpp"
#include "reel/sdk/session.hpp"

namespace reel::cli {
namespace fs = std::filesystem;
namespace {

// The first Ctrl-C stops dispatching rows (those in flight finish and are recorded); a
// second one cancels the rows in flight too (they render again on resume).
CancelToken* g_stop = nullptr;
CancelToken* g_cancel = nullptr;
extern "C" void on_batch_sigint(int) {
  if (g_stop && g_stop->cancelled()) {
    if (g_cancel) g_cancel->cancel();
  } else if (g_stop) {
    g_stop->cancel();
  }
}

std::string eta_text(double seconds) {
  if (seconds <= 0) return "-";
  return format_seconds(Seconds(seconds));
}

// One progress line: a rewritten line on a terminal, plain lines otherwise.
class BatchProgressView {
 public:
  explicit BatchProgressView(bool quiet) : quiet_(quiet), tty_(::isatty(2) == 1) {}
  void on_progress(const batch::BatchProgress& p) {
    if (quiet_) return;
    const double per_min = p.seconds > 0 ? p.done * 60.0 / p.seconds : 0;
    const double eta = p.done > 0 ? p.seconds / p.done * (p.total - p.done) : 0;
    char line[320];
    std::snprintf(line, sizeof line,
                  "rows %d/%d done, %d failed | %.1f clips/min | ETA %s | %s spent, %s projected",
                  p.done, p.total, p.failed, per_min, eta_text(eta).c_str(),
                  format_usd(Usd(p.usd)).c_str(), format_usd(Usd(p.projected_usd)).c_str());
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line);
    } else {
      const auto* e = p.last;
      std::fprintf(stderr, "%s | line %d %s %s\n", line, e ? e->line : 0, e ? e->key.c_str() : "",
                   e ? e->status.c_str() : "");
    }
    std::fflush(stderr);
  }
  void finish() {
    if (!quiet_ && tty_) std::fputs("\n", stderr);
  }

 private:
  bool quiet_;
  bool tty_;
};

}  // namespace

int cmd_batch(const Argv& argv) {
  const std::string usage =
      "reel batch PIPELINE --rows FILE.csv|FILE.jsonl [--out DIR] [--name TEMPLATE] [--jobs N] "
      "[--budget USD] [--resume] [--strict] [--json] [--quiet]";
  Args a(argv, {"--resume", "--strict", "--json", "--quiet", "--no-sign", "--no-cache"},
         {"--rows", "--out", "--name", "--jobs", "--budget", "--server", "--api-key", "--prices",
          "--policy"});
  a.max_positional(1, usage);
  if (a.value("--server"))
    throw Error(ErrorKind::InvalidInput,
                "reel batch --server is not built yet (issue 15, item 3: POST /v1/batches); run "
                "the batch on this machine without --server");
  const fs::path file = a.need(0, "the pipeline file; usage: " + usage);
  const auto rows_file = a.value("--rows");
  if (!rows_file) throw Error(ErrorKind::InvalidInput, "missing --rows FILE; usage: " + usage);
  pipeline::Graph tmpl = pipeline::load_pipeline(file);
  batch::Rows rows = batch::load_rows(*rows_file);

  batch::BatchOptions bo;
  bo.out_dir = a.value("--out").value_or("batch");
  bo.name_template = a.value("--name").value_or("");
  if (auto j = a.value("--jobs")) bo.jobs = int(parse_integer(*j, "--jobs", 1, 64));
  if (auto b = a.value("--budget")) {
    char* end = nullptr;
    double usd = std::strtod(b->c_str(), &end);
    if (b->empty() || *end != '\0' || !(usd >= 0) || usd > 1e9)
      throw Error(ErrorKind::InvalidInput,
                  "--budget is US dollars, a number 0..1e9 (e.g. 25 or 2.50); got '" + *b + "'");
    bo.budget_usd = usd;
  }
  bo.resume = a.flag("--resume");
  bo.strict = a.flag("--strict");
  const bool json = a.flag("--json");
  BatchProgressView view(a.flag("--quiet") || json);
  bo.on_progress = [&](const batch::BatchProgress& p) { view.on_progress(p); };

  sdk::SessionOptions so;
  if (auto p = a.value("--prices")) so.prices = pipeline::PriceSheet::load(*p);
  if (auto p = a.value("--policy")) so.policy = *p;
  so.use_cache = !a.flag("--no-cache");
  so.sign = !a.flag("--no-sign");
  sdk::Session session(so);

  g_stop = &bo.stop;
  g_cancel = &bo.cancel;
  std::signal(SIGINT, on_batch_sigint);
  batch::BatchResult r = batch::run_batch(session, tmpl, rows, bo);
  std::signal(SIGINT, SIG_DFL);
  g_stop = g_cancel = nullptr;
  view.finish();

  for (const auto& bad : r.invalid)
    std::fprintf(stderr, "%s:%d: skipped: %s\n", rows_file->c_str(), bad.line, bad.error.c_str());
  if (json) {
    Json rows_json = Json::array();
    for (const auto& e : r.finished) rows_json.push_back(e.to_json());
    Json invalid = Json::array();
    for (const auto& bad : r.invalid)
      invalid.push_back({{"line", bad.line}, {"key", bad.key}, {"error", bad.error}});
    print_json(Json{{"succeeded", r.succeeded()},
                    {"failed", r.failed()},
                    {"invalid", invalid},
                    {"resumed", r.resumed},
                    {"not_started", r.not_started},
                    {"rows_fit", r.rows_fit},
                    {"budget_stop", r.budget_stop},
                    {"interrupted", r.interrupted},
                    {"wall_seconds", r.wall_seconds},
                    {"usd", r.usd},
                    {"executed", r.executed},
                    {"cached", r.cached},
                    {"rows", rows_json},
                    {"out", bo.out_dir.string()}}
                   .dump(2));
  } else {
    std::fputs(batch::summary_text(r).c_str(), stdout);
    std::printf("wrote %s (manifest), %s, %s\n", (bo.out_dir / "batch.jsonl").string().c_str(),
                (bo.out_dir / "batch.csv").string().c_str(),
                (bo.out_dir / "contact_sheet.png").string().c_str());
  }
  return r.exit_code();
}

}  // namespace reel::cli
