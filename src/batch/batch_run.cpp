// Renders prepared rows on `jobs` threads sharing one session. Rows are dispatched in
// line order; a row waits while another row in flight is computing one of its steps, so
// a step shared by rows is computed once and every other row takes it from the store.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "reel/batch/batch.hpp"
#include "reel/core/error.hpp"
#include "reel/sdk/results.hpp"
#include "reel/sdk/session.hpp"

namespace reel::batch {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Renders one row and writes its output (atomically) into the folder.
ManifestEntry render_row(sdk::Session& session, const PreparedRow& row, const fs::path& dir,
                         const CancelToken& cancel) {
  ManifestEntry e;
  e.key = row.key;
  e.line = row.line;
  const auto t0 = Clock::now();
  try {
    pipeline::Executor executor(session.registry(), session.store());
    pipeline::RunOptions ro = session.run_options();
    ro.cancel = cancel;
    ro.on_event = nullptr;  // rows report as rows; step lines would bury the progress line
    pipeline::RunResult result = executor.run(row.graph, ro);
    sdk::RunOutput output = sdk::output_of(result, row.graph, session);
    fs::path out;
    if (output.video) {
      out = dir / (row.key + ".mp4");
      output.video->save(out, session);
    } else {
      out = dir / (row.key + ".png");
      output.still->save(out, session);
      result.cost.write(fs::path(out).replace_extension(".cost.json"));
    }
    e.status = "succeeded";
    e.output = out.string();
    e.usd = result.cost.total_usd().value;
    e.executed = result.executed;
    e.cached = result.cached;
  } catch (const Error& err) {
    if (err.kind() == ErrorKind::Cancelled) throw;
    e.status = "failed";
    e.error = err.what();
  } catch (const std::exception& err) {
    e.status = "failed";
    e.error = std::string("internal error: ") + err.what();
  }
  e.seconds = since(t0);
  return e;
}

// Each row's estimate given the rows before it: a step an earlier row makes costs nothing.
std::vector<double> marginal_estimates(const std::vector<const PreparedRow*>& rows) {
  std::set<std::string> made;
  std::vector<double> out;
  for (const PreparedRow* r : rows) {
    double usd = 0;
    for (std::size_t i = 0; i < r->step_keys.size(); ++i)
      if (made.insert(r->step_keys[i]).second) usd += r->step_usd[i];
    out.push_back(usd);
  }
  return out;
}

std::vector<ManifestEntry> final_state(const fs::path& manifest) {
  std::map<std::string, ManifestEntry> latest;
  for (auto& e : Manifest::read(manifest)) latest[e.key] = e;
  std::vector<ManifestEntry> out;
  for (auto& [k, e] : latest) out.push_back(e);
  std::stable_sort(out.begin(), out.end(),
                   [](const ManifestEntry& a, const ManifestEntry& b) { return a.line < b.line; });
  return out;
}

std::string invalid_list(const std::vector<InvalidRow>& rows) {
  std::string out;
  for (const auto& r : rows) out += "\n  line " + std::to_string(r.line) + ": " + r.error;
  return out;
}

}  // namespace

int BatchResult::succeeded() const {
  return int(std::count_if(finished.begin(), finished.end(),
                           [](const ManifestEntry& e) { return e.status == "succeeded"; }));
}
int BatchResult::failed() const {
  return int(finished.size()) - succeeded();
}

int BatchResult::exit_code() const {
  if (interrupted) return 130;
  if (budget_stop) return 7;
  return failed() > 0 || !invalid.empty() ? 1 : 0;
}

BatchResult run_batch(sdk::Session& session, const pipeline::Graph& tmpl, const Rows& rows,
                      const BatchOptions& options) {
  if (options.jobs < 1 || options.jobs > 64)
    throw Error(ErrorKind::InvalidInput, "jobs must be 1..64, got " + std::to_string(options.jobs));
  const fs::path dir = options.out_dir;
  const fs::path manifest_path = dir / "batch.jsonl";
  if (options.resume && !fs::exists(manifest_path))
    throw Error(ErrorKind::InvalidInput, manifest_path.string() +
                                             " does not exist: there is no batch to resume "
                                             "(leave out --resume to start one)");
  PreparedBatch prepared = prepare_batch(session, tmpl, rows, options);
  BatchResult result;
  result.invalid = prepared.invalid;
  if (options.strict && !prepared.invalid.empty())
    throw Error(ErrorKind::InvalidInput, std::to_string(prepared.invalid.size()) +
                                             " row(s) are invalid and --strict refuses the batch:" +
                                             invalid_list(prepared.invalid));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::Io, dir.string() + ": cannot create the folder: " + ec.message());
  Manifest manifest(manifest_path);

  // Rows an earlier run finished (and whose output is still there) are not rendered again.
  std::set<std::string> done;
  for (const auto& e : Manifest::read(manifest_path))
    if (e.status == "succeeded" && fs::exists(e.output)) done.insert(e.key);
  for (const auto& bad : prepared.invalid) {
    ManifestEntry e;
    e.key = bad.key.empty() ? "line-" + std::to_string(bad.line) : bad.key;
    e.line = bad.line;
    e.status = "invalid";
    e.error = bad.error;
    manifest.append(e);
  }
  std::vector<const PreparedRow*> todo;
  for (const auto& r : prepared.rows) {
    if (done.count(r.key))
      ++result.resumed;
    else
      todo.push_back(&r);
  }
  const std::vector<double> estimate = marginal_estimates(todo);
  if (options.budget_usd) {
    double sum = 0;
    result.rows_fit = 0;
    for (double e : estimate) {
      if (sum + e > *options.budget_usd) break;
      sum += e;
      ++result.rows_fit;
    }
  }

  std::mutex m;
  std::condition_variable cv;
  std::size_t next = 0;
  std::set<std::string> in_flight;  // step keys being computed by rows in flight
  double spent = 0, in_flight_usd = 0, remaining_usd = 0;
  for (double e : estimate) remaining_usd += e;
  bool stop = false;
  const auto t0 = Clock::now();
  BatchProgress progress;
  progress.total = int(todo.size());

  auto blocked = [&](const PreparedRow& r) {
    return std::any_of(r.step_keys.begin(), r.step_keys.end(),
                       [&](const std::string& k) { return in_flight.count(k) > 0; });
  };
  auto worker = [&] {
    std::unique_lock lock(m);
    for (;;) {
      cv.wait_for(lock, std::chrono::milliseconds(100), [&] {
        return stop || next >= todo.size() || options.stop.cancelled() || !blocked(*todo[next]);
      });
      if (stop || next >= todo.size()) return;
      if (options.stop.cancelled() || options.cancel.cancelled()) {
        result.interrupted = stop = true;
        cv.notify_all();
        return;
      }
      if (blocked(*todo[next])) continue;  // woken by the timeout: look at the stop flags
      const std::size_t i = next;
      if (options.budget_usd && spent + in_flight_usd + estimate[i] > *options.budget_usd) {
        result.budget_stop = stop = true;
        cv.notify_all();
        return;
      }
      ++next;
      const PreparedRow& row = *todo[i];
      in_flight.insert(row.step_keys.begin(), row.step_keys.end());
      in_flight_usd += estimate[i];
      lock.unlock();
      ManifestEntry e;
      bool cancelled = false;
      try {
        e = render_row(session, row, dir, options.cancel);
        manifest.append(e);
      } catch (const Error& err) {
        // Cancelled (a second Ctrl-C): the row is not finished; it renders on resume.
        cancelled = err.kind() == ErrorKind::Cancelled;
        if (!cancelled) {
          e.status = "failed";
          e.error = err.what();
        }
      }
      lock.lock();
      for (const auto& k : row.step_keys) in_flight.erase(k);
      in_flight_usd -= estimate[i];
      remaining_usd -= estimate[i];
      if (cancelled) {
        result.interrupted = stop = true;
      } else {
        spent += e.usd;
        result.usd += e.usd;
        result.executed += e.executed;
        result.cached += e.cached;
        result.finished.push_back(e);
        ++progress.done;
        if (e.status != "succeeded") ++progress.failed;
        progress.seconds = since(t0);
        progress.usd = spent;
        progress.projected_usd = spent + remaining_usd;
        progress.last = &result.finished.back();
        if (options.on_progress) options.on_progress(progress);
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  const int n = std::min<int>(options.jobs, std::max<int>(1, int(todo.size())));
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (options.stop.cancelled()) result.interrupted = true;
  result.not_started = int(todo.size() - next);
  result.wall_seconds = since(t0);
  std::sort(result.finished.begin(), result.finished.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.line < b.line; });

  result.manifest = final_state(manifest_path);
  write_batch_csv(dir / "batch.csv", result.manifest, rows);
  write_contact_sheet(dir / "contact_sheet.png", result.manifest);
  return result;
}

}  // namespace reel::batch
