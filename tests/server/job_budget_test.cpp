// A running job stops at its spend cap (reservation + tolerance), including in the middle
// of one long step, and a job whose key was revoked after it was queued never starts.
#include <gtest/gtest.h>

#include <chrono>

#include "server/job_runner.hpp"
#include "worker_fixture.hpp"

namespace reel::server::test {
namespace {

using Clock = std::chrono::steady_clock;

class JobBudget : public WorkerFixture {};

TEST_F(JobBudget, ALongStepIsStoppedWhenItsSpendReachesTheCap) {
  // Reserved $0.000001: the cap is $0.000101, about 4 s of two cores at the default CPU
  // price (8 s on one core); the step asks for 60 s.
  Job j = enqueue(diag_spec("diag-sleep", "long", {{"ms", 60000}}), 3, 0.000001);
  auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
  const auto t0 = Clock::now();
  AttemptReport r = run_job_attempt(env(), c, l, CancelToken());
  const double took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  EXPECT_EQ(r.end, AttemptEnd::failed);
  EXPECT_LT(took_ms, 20000) << "the step ran on past its cap";
  Job f = job(j.id);
  EXPECT_EQ(f.status, JobStatus::failed);
  EXPECT_EQ(f.attempts, 1);  // not retried: a retry would overspend again
  EXPECT_EQ(f.error.rfind("Budget: budget-exhausted", 0), 0u) << f.error;
  bool logged = false;
  for (const auto& e : events_of(j.id))
    if (e.type == "budget-exhausted") {
      logged = true;
      EXPECT_NEAR(e.data["cap_usd"].get<double>(), 0.000101, 1e-12);
    }
  EXPECT_TRUE(logged) << "no budget-exhausted event in the job's log";
  auto charge = keys->charge(j.id);
  ASSERT_TRUE(charge);
  EXPECT_EQ(charge->state, "settled");
  EXPECT_GT(charge->charged_usd, 0);  // what it used
  EXPECT_LE(charge->charged_usd, 0.000101 + 1e-12);
  EXPECT_DOUBLE_EQ(keys->usage(key_id).reserved_usd, 0.0);
}

TEST_F(JobBudget, AJobWithinItsEstimateIsNotStopped) {
  Job j = enqueue(diag_spec("diag-sleep", "short", {{"ms", 50}}), 3, 0.01);
  auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
  EXPECT_EQ(run_job_attempt(env(), c, l, CancelToken()).end, AttemptEnd::succeeded);
  EXPECT_EQ(keys->charge(j.id)->absorbed_usd, 0);
}

TEST_F(JobBudget, AJobOfAKeyWithoutABudgetIsNotWatched) {
  ApiKey free;
  free.name = "free";
  const std::string free_id = keys->create(free).first.id;
  Job j;
  j.api_key_id = free_id;
  j.spec = diag_spec("diag-sleep", "free", {{"ms", 300}});
  j = jobs->enqueue(j).first;
  ASSERT_EQ(keys->admit(free_id, j.id, 0.0), Admission::admitted);
  auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
  EXPECT_EQ(run_job_attempt(env(), c, l, CancelToken()).end, AttemptEnd::succeeded);
}

TEST_F(JobBudget, AJobOfARevokedKeyIsCanceledAtItsClaimAndReleased) {
  Job j = enqueue(diag_spec("diag-noop", "revoked"), 3, 0.5);
  // The revoke lands between the queue sweep and this claim.
  ASSERT_TRUE(keys->revoke(key_id));
  auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
  AttemptReport r = run_job_attempt(env(), c, l, CancelToken());
  EXPECT_EQ(r.end, AttemptEnd::canceled);
  EXPECT_EQ(job(j.id).status, JobStatus::canceled);
  EXPECT_EQ(keys->charge(j.id)->state, "released");
  bool started = false, revoked = false;
  for (const auto& e : events_of(j.id)) {
    started |= e.type == "step";
    revoked |= e.type == "key-revoked";
  }
  EXPECT_FALSE(started) << "a step of a revoked key's job ran";
  EXPECT_TRUE(revoked);
}

}  // namespace
}  // namespace reel::server::test
