// WorkerLoop in-process: many jobs through several slots, and what stop() promises.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "reel/core/error.hpp"
#include "worker_fixture.hpp"

namespace reel::server::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class WorkerLoopTest : public WorkerFixture {
 protected:
  WorkerOptions options(int concurrency = 3) {
    WorkerOptions o;
    o.worker_id = "loop";
    o.concurrency = concurrency;
    o.lease_ms = 5'000;
    o.heartbeat_ms = 200;
    o.poll_ms = 20;
    o.jobs = jobs.get();
    o.keys = keys.get();
    o.registry = &registry;
    o.sign_outputs = false;  // queue tests: signing is tested end to end (tests/server_e2e)
    o.artifacts = artifacts.get();
    o.on_attempt = [this](const AttemptReport& r) {
      std::lock_guard lock(mutex);
      reports.push_back(r);
    };
    return o;
  }

  bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

  std::mutex mutex;
  std::vector<AttemptReport> reports;
};

TEST_F(WorkerLoopTest, RunsEveryJobOnceAcrossSlots) {
  constexpr int n = 30;
  std::set<std::string> ids;
  for (int i = 0; i < n; ++i)
    ids.insert(enqueue(diag_spec("diag-sleep", "job " + std::to_string(i), {{"ms", 20}})).id);
  WorkerLoop loop(options(3));
  loop.start();
  ASSERT_TRUE(wait_for([&] { return loop.stats().succeeded == n; }, 20s))
      << loop.stats().succeeded << " of " << n;
  loop.stop();
  for (const auto& id : ids) {
    Job j = job(id);
    EXPECT_EQ(j.status, JobStatus::succeeded) << id;
    EXPECT_EQ(j.attempts, 1) << id;
    EXPECT_EQ(j.worker_id, "loop") << id;
  }
  Usage u = keys->usage(key_id);
  EXPECT_EQ(u.jobs_settled, n);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0.0);
  std::set<std::string> reported;
  for (const auto& r : reports) reported.insert(r.job_id);
  EXPECT_EQ(reported, ids);
  EXPECT_EQ(reports.size(), std::size_t(n));
  for (const auto& r : reports)
    EXPECT_EQ(r.end, AttemptEnd::succeeded)
        << r.job_id << ": " << to_string(r.end) << ": " << r.error;
}

TEST_F(WorkerLoopTest, NoClaimsAfterStop) {
  WorkerLoop loop(options(2));
  loop.start();
  loop.stop();
  Job j = enqueue(diag_spec("diag-noop", "late"));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(job(j.id).status, JobStatus::queued);
  EXPECT_EQ(loop.stats().claimed, 0);
}

TEST_F(WorkerLoopTest, StopWithGraceLetsInFlightJobsFinish) {
  Job j = enqueue(diag_spec("diag-sleep", "finish me", {{"ms", 400}}));
  WorkerLoop loop(options(1));
  loop.start();
  ASSERT_TRUE(wait_for([&] { return job(j.id).status == JobStatus::running; }, 5s));
  loop.stop(5s);
  EXPECT_EQ(job(j.id).status, JobStatus::succeeded);
  EXPECT_EQ(loop.stats().succeeded, 1);
}

TEST_F(WorkerLoopTest, StopAfterGraceHandsInFlightJobsBack) {
  Job j = enqueue(diag_spec("diag-sleep", "too long", {{"ms", 30000}}));
  WorkerLoop loop(options(1));
  loop.start();
  ASSERT_TRUE(wait_for([&] { return job(j.id).status == JobStatus::running; }, 5s));
  auto t0 = Clock::now();
  loop.stop(200ms);
  EXPECT_LT(Clock::now() - t0, 2s);
  Job q = job(j.id);
  EXPECT_EQ(q.status, JobStatus::queued);
  EXPECT_EQ(loop.stats().abandoned, 1);
  // Another worker picks it up (after the retry backoff) and finishes it.
  auto claimed = jobs->claim("other", 5'000, q.not_before_ms + 1);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->second.attempt, 2);
}

TEST_F(WorkerLoopTest, RefusesNonsenseOptions) {
  auto o = options();
  o.heartbeat_ms = o.lease_ms;
  EXPECT_THROW(WorkerLoop{o}, Error);
  o = options();
  o.concurrency = 0;
  EXPECT_THROW(WorkerLoop{o}, Error);
  o = options();
  o.jobs = nullptr;
  EXPECT_THROW(WorkerLoop{o}, Error);
}

}  // namespace
}  // namespace reel::server::test
