// Job queue throughput: N no-op jobs are enqueued beforehand (not timed), then W workers —
// threads, each with its own store and so its own connection — claim and complete jobs
// until the queue is empty. Reported: jobs/s (median of the repetitions) for SQLite and
// for PostgreSQL, the latter with durable commits (synchronous_commit=on, fsync=on: every
// claim and every completion waits for its WAL flush) and with synchronous_commit=off
// (commits return before the flush; a crash may lose the last few hundred ms of queue
// changes, never corrupt it). The PostgreSQL server is a throwaway one on loopback.
// REEL_BENCH_QUEUE_JOBS sets N (default 2000).
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "reel/server/job_store.hpp"
#include "reel/server/stores.hpp"
#include "support/postgres_server.hpp"
#include "support/test_dirs.hpp"

namespace {
using namespace reel;
using namespace reel::server;

enum class Engine { sqlite, postgres, postgres_async };

int job_count() {
  const char* env = std::getenv("REEL_BENCH_QUEUE_JOBS");
  return env ? std::max(1, std::atoi(env)) : 2000;
}

testing::PostgresServer& server() {
  // fsync on: the figures must include real WAL flushes.
  static testing::PostgresServer s(testing::PostgresServer::Options{.fsync = true});
  return s;
}

void run_sql(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(url.c_str()), &PQfinish);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
    throw std::runtime_error(sql + ": " + PQerrorMessage(c.get()));
}

void BM_Queue(benchmark::State& state) {
  auto engine = static_cast<Engine>(state.range(0));
  int workers = static_cast<int>(state.range(1));
  int jobs = job_count();
  static std::atomic<int> run_id{0};
  for (auto _ : state) {
    testing::TempDir dir;
    std::string url;
    std::function<std::unique_ptr<JobStore>()> open;
    if (engine == Engine::sqlite) {
      auto file = dir / "queue.db";
      open = [file] { return open_sqlite_job_store(file); };
    } else {
      std::string db = "bench_" + std::to_string(run_id++);
      url = server().create_database(db);
      // Enqueueing is not what is measured: let it skip the WAL flushes.
      run_sql(url, "ALTER DATABASE " + db + " SET synchronous_commit = off");
      open = [url] { return open_postgres_job_store(url); };
    }
    {
      auto store = open();
      std::vector<std::thread> fill;
      std::atomic<int> next{0};
      for (int t = 0; t < 4; ++t)
        fill.emplace_back([&] {
          auto mine = open();
          for (int i; (i = next++) < jobs;) {
            Job j;
            j.api_key_id = "bench";
            j.spec = Json{{"n", i}};
            mine->enqueue(j);
          }
        });
      for (auto& t : fill) t.join();
    }
    if (engine == Engine::postgres)
      run_sql(url,
              "ALTER DATABASE " + url.substr(url.rfind('/') + 1) + " RESET synchronous_commit");

    std::vector<std::unique_ptr<JobStore>> stores;
    for (int w = 0; w < workers; ++w) stores.push_back(open());
    std::atomic<int> done{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        while (!go.load()) std::this_thread::yield();
        auto& store = *stores[w];
        std::string me = "worker-" + std::to_string(w);
        while (auto c = store.claim(me, 30000, 1000))
          if (store.complete(c->second, Json::object())) ++done;
      });
    }
    auto start = std::chrono::steady_clock::now();
    go = true;
    for (auto& t : threads) t.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (done.load() != jobs) {
      state.SkipWithError("not every job was completed exactly once");
      return;
    }
    state.SetIterationTime(seconds);
    state.counters["jobs_per_s"] = jobs / seconds;
  }
  state.counters["jobs"] = jobs;
}

void engines_and_workers(benchmark::internal::Benchmark* b) {
  for (auto e : {Engine::sqlite, Engine::postgres, Engine::postgres_async})
    for (int w : {1, 4, 16}) b->Args({static_cast<int>(e), w});
  b->ArgNames({"engine(0=sqlite,1=pg,2=pg_async)", "workers"});
}

BENCHMARK(BM_Queue)
    ->Apply(engines_and_workers)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
