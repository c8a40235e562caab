// Worker throughput: N jobs on the diagnostic no-op model are enqueued (and admitted)
// beforehand, then one WorkerLoop with W slots — what `reel serve --workers W` runs —
// takes each through the whole path: claim, spec → validated graph, Executor, artifact
// store (a 16x16 PNG per job), step events, settle, complete. Reported: jobs/s for SQLite
// and for a throwaway PostgreSQL server with fsync on. Compare with bench_queue, which
// measures claim + complete alone. REEL_BENCH_WORKER_JOBS sets N (default 500).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>

#include "reel/server/stores.hpp"
#include "reel/server/worker.hpp"
#include "support/postgres_server.hpp"
#include "support/test_dirs.hpp"

namespace {
using namespace reel;
using namespace reel::server;

int job_count() {
  const char* env = std::getenv("REEL_BENCH_WORKER_JOBS");
  return env ? std::max(1, std::atoi(env)) : 500;
}

testing::PostgresServer& pg() {
  static testing::PostgresServer s(testing::PostgresServer::Options{.fsync = true});
  return s;
}

Json noop_spec(int i) {
  return Json{
      {"pipeline",
       {{"reel", 1},
        {"name", "bench"},
        {"seed", i},
        {"steps", Json::array({{{"id", "still"},
                                {"task", "text_to_image"},
                                {"model", "diag-noop"},
                                {"params", {{"prompt", "bench " + std::to_string(i)}}}}})}}}};
}

void BM_Worker(benchmark::State& state) {
  const bool postgres = state.range(0) == 1;
  const int slots = static_cast<int>(state.range(1));
  const int jobs = job_count();
  static std::atomic<int> run_id{0};
  for (auto _ : state) {
    testing::TempDir dir;
    std::string url = postgres ? pg().create_database("wbench_" + std::to_string(run_id++))
                               : "sqlite:" + (dir / "reel.db").string();
    ServerStores stores = open_server_stores(url);
    ApiKey spec;
    spec.name = "bench";
    std::string key = stores.keys->create(spec).first.id;
    for (int i = 0; i < jobs; ++i) {
      Job j;
      char id[33];
      std::snprintf(id, sizeof id, "%08x%024x", run_id.load(), i);
      j.id = id;
      j.api_key_id = key;
      j.spec = noop_spec(i);
      stores.keys->admit(key, j.id, 0.0001);
      stores.jobs->enqueue(j);
    }
    model::Registry registry;
    register_diagnostic_models(registry);
    std::mutex m;
    std::condition_variable cv;
    int ended = 0, succeeded = 0;
    WorkerOptions o;
    o.worker_id = "bench";
    o.concurrency = slots;
    o.poll_ms = 5;
    o.jobs = stores.jobs.get();
    o.keys = stores.keys.get();
    o.registry = &registry;
    o.artifact_root = dir / "artifacts";
    o.on_attempt = [&](const AttemptReport& r) {
      std::lock_guard lock(m);
      ++ended;
      succeeded += r.end == AttemptEnd::succeeded;
      cv.notify_all();
    };
    WorkerLoop loop(o);
    auto start = std::chrono::steady_clock::now();
    loop.start();
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return ended >= jobs; });
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    loop.stop();
    if (succeeded != jobs || stores.keys->usage(key).jobs_settled != jobs) {
      state.SkipWithError("not every job succeeded and was settled once");
      return;
    }
    state.SetIterationTime(seconds);
    state.counters["jobs_per_s"] = jobs / seconds;
  }
  state.counters["jobs"] = jobs;
}

BENCHMARK(BM_Worker)
    ->ArgsProduct({{0, 1}, {1, 4, 16}})
    ->ArgNames({"engine(0=sqlite,1=pg)", "slots"})
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
