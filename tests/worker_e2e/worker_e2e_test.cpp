// Black-box tests of `reel worker` (issue 7's "Done when"): real worker processes sharing
// a throwaway PostgreSQL server and one artifact folder; jobs are enqueued straight into
// the store (no HTTP). Workers are killed with SIGKILL to test lease hand-over.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "reel/server/stores.hpp"
#include "support/postgres_server.hpp"
#include "support/test_dirs.hpp"
#include "worker_process.hpp"

namespace reel::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using reel::testing::WorkerProcess;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Json diag_spec(const std::string& model, const std::string& prompt, Json extra = nullptr) {
  Json params{{"prompt", prompt}, {"width", 16}, {"height", 16}};
  if (!extra.is_null()) params["extra"] = extra;
  return Json{{"pipeline",
               {{"reel", 1},
                {"name", "e2e"},
                {"steps", Json::array({{{"id", "still"},
                                        {"task", "text_to_image"},
                                        {"model", model},
                                        {"params", params}}})}}}};
}

// Each test runs on both engines: PostgreSQL (many machines) and one SQLite file shared by
// several processes (one machine).
class WorkerE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::mt19937_64 rng{std::random_device{}()};
    if (GetParam() == "postgres")
      url = reel::testing::shared_postgres_server().create_database(
          "e2e_" + std::to_string(rng() % 1'000'000'000));
    else
      url = "sqlite:" + (dir / "reel.db").string();
    stores = open_server_stores(url);
    ApiKey spec;
    spec.name = "e2e";
    spec.budget_usd = -1;
    spec.max_concurrent = 100'000;
    spec.rate_per_minute = 1'000'000;
    key_id = stores.keys->create(spec).first.id;
  }

  std::unique_ptr<WorkerProcess> start_worker(const std::string& id, int lease_ms, int heartbeat_ms,
                                              int concurrency = 1) {
    return std::make_unique<WorkerProcess>(
        std::vector<std::string>{"--store", url, "--worker-id", id, "--lease-ms",
                                 std::to_string(lease_ms), "--heartbeat-ms",
                                 std::to_string(heartbeat_ms), "--concurrency",
                                 std::to_string(concurrency), "--poll-ms", "20", "--grace-ms",
                                 "2000", "--artifacts", (dir / "artifacts").string()},
        (dir / (id + ".log")).string());
  }

  // Admitted before it is queued, as the HTTP layer does (a worker may run it at once).
  Job enqueue(Json spec) {
    static std::mt19937_64 rng{std::random_device{}()};
    char id[33];
    std::snprintf(id, sizeof id, "%016llx%016llx", (unsigned long long)rng(),
                  (unsigned long long)rng());
    Job j;
    j.id = id;
    j.api_key_id = key_id;
    j.spec = std::move(spec);
    j.max_attempts = 3;
    EXPECT_EQ(stores.keys->admit(key_id, j.id, 0.001), Admission::admitted);
    return stores.jobs->enqueue(j).first;
  }

  bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred();
  }

  int count_events(const std::string& job_id, const std::string& type) {
    int n = 0;
    for (const auto& e : stores.jobs->events(job_id, 0, 10'000)) n += e.type == type;
    return n;
  }

  std::size_t succeeded_count() {
    return stores.jobs->list(JobStatus::succeeded, "", 100'000).size();
  }

  // Stops the workers with SIGTERM and expects each to exit cleanly.
  void stop_all(std::vector<std::unique_ptr<WorkerProcess>>& workers) {
    for (auto& w : workers)
      if (w) w->signal(SIGTERM);
    for (auto& w : workers)
      if (w) {
        int status = w->wait(10'000);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << "worker " << w->pid() << " status " << status;
      }
  }

  reel::testing::TempDir dir;
  std::string url;
  ServerStores stores;
  std::string key_id;
};

TEST_P(WorkerE2E, KillNineMidJobCompletesOnceOnAnotherWorkerAfterTheLease) {
  constexpr int lease_ms = 2000, beat_ms = 500, job_ms = 3000;
  std::map<std::string, std::unique_ptr<WorkerProcess>> by_id;
  for (const char* id : {"w1", "w2", "w3"}) by_id[id] = start_worker(id, lease_ms, beat_ms);

  Job j = enqueue(diag_spec("diag-sleep", "kill me", {{"ms", job_ms}}));
  ASSERT_TRUE(wait_for([&] { return stores.jobs->get(j.id)->status == JobStatus::running; }, 10s));
  std::this_thread::sleep_for(300ms);  // well into the step
  const std::string victim = stores.jobs->get(j.id)->worker_id;
  ASSERT_TRUE(by_id.count(victim)) << victim;
  auto t_kill = Clock::now();
  by_id[victim]->signal(SIGKILL);
  int status = by_id[victim]->wait(5000);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  ASSERT_TRUE(wait_for([&] { return stores.jobs->get(j.id)->status == JobStatus::succeeded; }, 20s))
      << "status " << to_string(stores.jobs->get(j.id)->status);
  double recovered_s = seconds_since(t_kill);
  std::fprintf(stderr, "[%s kill -9] job done %.2f s after the kill (lease %d ms, job %d ms)\n",
               GetParam().c_str(), recovered_s, lease_ms, job_ms);

  Job done = *stores.jobs->get(j.id);
  EXPECT_NE(done.worker_id, victim);
  EXPECT_EQ(done.attempts, 2);
  EXPECT_EQ(count_events(j.id, "started"), 2);
  EXPECT_EQ(count_events(j.id, "succeeded"), 1);
  EXPECT_TRUE(done.result.contains("artifacts"));
  // Not before the dead worker's lease could have expired plus a whole new run.
  EXPECT_GE(recovered_s, job_ms / 1000.0);
  EXPECT_LT(recovered_s, (lease_ms + job_ms) / 1000.0 + 5.0);
  Usage u = stores.keys->usage(key_id);
  EXPECT_EQ(u.jobs_settled, 1) << "one ledger entry for the job";
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0.0);

  std::vector<std::unique_ptr<WorkerProcess>> rest;
  for (auto& [id, w] : by_id)
    if (id != victim) rest.push_back(std::move(w));
  stop_all(rest);
}

// Every job succeeds, with one ledger entry and one completion each. Returns the number
// of extra executions (attempts beyond one).
struct Tally {
  int extra_executions = 0;
  std::map<std::string, int> by_worker;
};

class WorkerE2EMany : public WorkerE2E {
 protected:
  Tally check_each_ran_once(const std::vector<Job>& enqueued) {
    Tally t;
    std::set<std::string> ids;
    for (const auto& e : enqueued) {
      ids.insert(e.id);
      Job j = *stores.jobs->get(e.id);
      EXPECT_EQ(j.status, JobStatus::succeeded) << j.id << ": " << j.error;
      EXPECT_EQ(count_events(j.id, "succeeded"), 1) << j.id;
      EXPECT_TRUE(j.result.contains("artifacts")) << j.id;
      t.extra_executions += j.attempts - 1;
      t.by_worker[j.worker_id]++;
    }
    EXPECT_EQ(ids.size(), enqueued.size()) << "job ids are not distinct";
    Usage u = stores.keys->usage(key_id);
    EXPECT_EQ(u.jobs_settled, int(enqueued.size())) << "ledger entries";
    EXPECT_NEAR(u.reserved_usd, 0.0, 1e-9);
    return t;
  }

  static std::string tally_text(const Tally& t) {
    std::string s;
    for (auto& [w, n] : t.by_worker) s += " " + w + "=" + std::to_string(n);
    return s;
  }
};

TEST_P(WorkerE2EMany, TwoHundredJobsAcrossThreeWorkersEachRunOnce) {
  constexpr int n = 200;
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (const char* id : {"a", "b", "c"}) workers.push_back(start_worker(id, 5000, 1000, 2));
  auto t0 = Clock::now();
  std::vector<Job> jobs;
  for (int i = 0; i < n; ++i)
    jobs.push_back(enqueue(diag_spec("diag-noop", "job " + std::to_string(i))));
  ASSERT_TRUE(wait_for([&] { return succeeded_count() == n; }, 90s))
      << succeeded_count() << " of " << n;
  double secs = seconds_since(t0);
  Tally t = check_each_ran_once(jobs);
  EXPECT_EQ(t.extra_executions, 0) << "no fault was injected, yet a job ran twice";
  std::fprintf(stderr, "[%s 200 jobs] %.2f s (%.0f jobs/s incl. enqueue), extra executions %d,%s\n",
               GetParam().c_str(), secs, n / secs, t.extra_executions, tally_text(t).c_str());
  stop_all(workers);
}

TEST_P(WorkerE2EMany, TwoHundredJobsWithAWorkerKilledMidwayEachSucceedOnce) {
  constexpr int n = 200, concurrency = 2;
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (const char* id : {"a", "b", "c"})
    workers.push_back(start_worker(id, 1500, 300, concurrency));
  std::vector<Job> jobs;
  for (int i = 0; i < n; ++i)
    jobs.push_back(enqueue(diag_spec("diag-sleep", "job " + std::to_string(i), {{"ms", 30}})));
  ASSERT_TRUE(wait_for([&] { return succeeded_count() >= n / 3; }, 60s));
  workers[0]->signal(SIGKILL);
  workers[0]->wait(5000);
  workers[0] = start_worker("a2", 1500, 300, concurrency);
  ASSERT_TRUE(wait_for([&] { return succeeded_count() == n; }, 90s))
      << succeeded_count() << " of " << n;
  Tally t = check_each_ran_once(jobs);
  // Only what the killed worker held can have run twice.
  EXPECT_LE(t.extra_executions, concurrency);
  std::fprintf(stderr, "[%s 200 jobs, kill -9 midway] extra executions %d,%s\n", GetParam().c_str(),
               t.extra_executions, tally_text(t).c_str());
  stop_all(workers);
}

std::string engine_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}
INSTANTIATE_TEST_SUITE_P(Engines, WorkerE2E, ::testing::Values("sqlite", "postgres"), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, WorkerE2EMany, ::testing::Values("sqlite", "postgres"),
                         engine_name);

}  // namespace
}  // namespace reel::server

namespace reel::server {
namespace {

std::string reel_binary() {
  return std::string(REEL_BINARY_DIR) + "/bin/reel";
}

TEST(WorkerCli, RefusesMissingStoreAndBadTimings) {
  reel::testing::TempDir dir;
  auto r = reel::testing::run_command(reel_binary() + " worker", /*merge_stderr=*/true);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("--store is required"), std::string::npos) << r.output;

  r = reel::testing::run_command(reel_binary() + " worker --store " + (dir / "q.db").string() +
                                     " --lease-ms 3000 --heartbeat-ms 5000",
                                 true);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("heartbeat"), std::string::npos) << r.output;

  r = reel::testing::run_command(reel_binary() + " worker --store ftp://x --bogus 1", true);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("--bogus"), std::string::npos) << r.output;
}

TEST(WorkerCli, SigtermStopsAnIdleWorkerAtOnce) {
  reel::testing::TempDir dir;
  WorkerProcess w({"--store", (dir / "q.db").string(), "--worker-id", "idle", "--artifacts",
                   (dir / "a").string()},
                  (dir / "idle.log").string());
  EXPECT_EQ(w.ready_line().rfind("reel worker idle ready: sqlite store", 0), 0u) << w.ready_line();
  auto t0 = Clock::now();
  w.signal(SIGTERM);
  int status = w.wait(10'000);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LT(seconds_since(t0), 2.0);
}

}  // namespace
}  // namespace reel::server
