// One attempt of a job at a time (job_runner.hpp) against the real SQLite queue, key store
// and artifact store, with the diagnostic models doing the work.
#include "server/job_runner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/wan/wan.hpp"
#include "worker_fixture.hpp"

namespace reel::server::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int count_events(const std::vector<JobEvent>& evs, const std::string& type) {
  int n = 0;
  for (const auto& e : evs) n += e.type == type;
  return n;
}

TEST(JobSpec, PipelineAndShortcutBecomeGraphs) {
  auto g = graph_from_job_spec(diag_spec("diag-noop", "a"));
  ASSERT_EQ(g.steps.size(), 1u);
  EXPECT_EQ(g.steps[0].model, "diag-noop");
  EXPECT_EQ(g.steps[0].params["prompt"], "a");

  Json shortcut{{"task", "text_to_image"},
                {"model", "diag-noop"},
                {"params", {{"prompt", "b"}}},
                {"seed", 7}};
  auto s = graph_from_job_spec(shortcut);
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.steps[0].model, "diag-noop");
  EXPECT_EQ(s.output_step(), s.steps[0].id);
}

TEST(JobSpec, RefusesFileReferencesAndShapelessSpecs) {
  Json spec = diag_spec("diag-noop", "a");
  spec["pipeline"]["steps"].push_back({{"id", "film"},
                                       {"task", "image_to_video"},
                                       {"model", "auto"},
                                       {"inputs", {{"image", "file:/etc/passwd"}}}});
  try {
    graph_from_job_spec(spec);
    FAIL() << "a file: reference was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("file:"), std::string::npos) << e.message();
  }
  for (Json bad : {Json::array(), Json{{"nothing", 1}}, Json{{"pipeline", "x"}}})
    EXPECT_THROW(graph_from_job_spec(bad), Error) << bad.dump();
}

TEST(JobSpec, RetryableKindsAreTheTransientOnes) {
  for (auto k : {ErrorKind::Io, ErrorKind::OutOfMemory, ErrorKind::Internal, ErrorKind::ModelLoad})
    EXPECT_TRUE(is_retryable(k)) << to_string(k);
  for (auto k : {ErrorKind::InvalidInput, ErrorKind::NotFound, ErrorKind::Policy, ErrorKind::Budget,
                 ErrorKind::Unsupported})
    EXPECT_FALSE(is_retryable(k)) << to_string(k);
}

class JobRunner : public WorkerFixture {
 protected:
  // Runs `spec` (a one-step job) followed by a 20 s step, and cancels the job once the
  // first step has finished: what a canceled job pays is the steps it finished.
  // `estimate` is what admission reserves: the job's spend cap follows from it.
  AttemptReport cancel_after_first_step(Json spec, double estimate = 0.01) {
    spec["pipeline"]["steps"].push_back(
        {{"id", "slow"},
         {"task", "text_to_image"},
         {"model", "diag-sleep"},
         {"params", {{"prompt", "slow"}, {"extra", {{"ms", 20000}}}}}});
    spec["pipeline"]["output"] = "slow";
    Job j = enqueue(spec, 3, estimate);
    auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
    RunnerEnv e = env(30'000, 100);
    e.cpu_slots = 1;  // "still" runs first, then "slow"
    auto run = std::async(std::launch::async,
                          [&, c = c, l = l] { return run_job_attempt(e, c, l, CancelToken()); });
    auto steps_done = [&] {
      Json p = job(j.id).progress;
      return p.is_object() ? p.value("steps_done", 0) : 0;
    };
    for (int i = 0; i < 300 && steps_done() < 1; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(jobs->request_cancel(j.id));
    return run.get();
  }

  // Claims and runs `spec` once; the attempt must fail the job for good (no retry).
  Job failed_at_once(const Json& spec) {
    Job j = enqueue(spec);
    auto [claimed, lease] = *jobs->claim("w1", 30'000, wall_ms());
    EXPECT_EQ(run_job_attempt(env(), claimed, lease, CancelToken()).end, AttemptEnd::failed);
    Job f = job(j.id);
    EXPECT_EQ(f.status, JobStatus::failed);
    EXPECT_EQ(f.attempts, 1);
    return f;
  }
};

TEST_F(JobRunner, SuccessWritesResultAndSettlesOnce) {
  Job j = enqueue(diag_spec("diag-noop", "hello"));
  auto [claimed, lease] = *jobs->claim("w1", 30'000, wall_ms());
  ASSERT_EQ(claimed.id, j.id);

  AttemptReport r = run_job_attempt(env(), claimed, lease, CancelToken());
  EXPECT_EQ(r.end, AttemptEnd::succeeded) << r.error;

  Job done = job(j.id);
  EXPECT_EQ(done.status, JobStatus::succeeded);
  EXPECT_EQ(done.result["output"], "still");
  const Json& a = done.result["artifacts"]["still"];
  EXPECT_EQ(a["kind"], "image");
  EXPECT_EQ(a["media_type"], "image/png");
  std::string hash = a["hash"].get<std::string>();
  EXPECT_EQ(a["url"], "/v1/artifacts/" + hash);
  auto stored = artifacts->get(Hash128::from_hex(hash));
  ASSERT_TRUE(stored) << "the result names an artifact the store does not hold";
  EXPECT_EQ(stored->width, 16);
  auto cost = pipeline::CostReport::from_json(done.result["cost"]);
  ASSERT_EQ(cost.steps.size(), 1u);
  EXPECT_EQ(cost.steps[0].model, "diag-noop");

  Usage u = keys->usage(key_id);
  EXPECT_EQ(u.jobs_settled, 1);
  // The key store keeps money in nano-dollars.
  EXPECT_NEAR(u.spent_usd, r.usd, 1e-9);
  EXPECT_NEAR(u.spent_usd, cost.total_usd().value, 1e-9);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0.0);
  EXPECT_FALSE(keys->settle(j.id, 1.0)) << "a second settle must not charge again";
  EXPECT_EQ(keys->usage(key_id).jobs_settled, 1);

  auto evs = events_of(j.id);
  EXPECT_EQ(count_events(evs, "step"), 2);  // started, finished
  EXPECT_EQ(count_events(evs, "succeeded"), 1);
  EXPECT_EQ(done.progress["fraction"], 1.0);
}

TEST_F(JobRunner, SecondRunOfTheSamePipelineIsCachedAndReportedSo) {
  for (int i = 0; i < 2; ++i) {
    Job j = enqueue(diag_spec("diag-noop", "same"));
    auto [claimed, lease] = *jobs->claim("w1", 30'000, wall_ms());
    ASSERT_EQ(run_job_attempt(env(), claimed, lease, CancelToken()).end, AttemptEnd::succeeded);
    EXPECT_EQ(count_events(events_of(j.id), "cached"), i);
    EXPECT_EQ(job(j.id).result["cached"], i);
  }
}

TEST_F(JobRunner, InvalidSpecFailsAtOnceWithoutRetryAndReleasesTheReservation) {
  Job f = failed_at_once(diag_spec("no-such-model", "x"));
  EXPECT_NE(f.error.find("NotFound"), std::string::npos) << f.error;
  Usage u = keys->usage(key_id);
  EXPECT_EQ(u.jobs_settled, 0);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0.0);
  EXPECT_DOUBLE_EQ(u.spent_usd, 0.0);
}

// A worker without a model's weights (the server that took the job may have them) fails
// the job before any step, once, with the model's path-free needs as the job's error.
TEST_F(JobRunner, AModelThisWorkerCannotRunFailsTheJobBeforeAnyStepWithoutItsPaths) {
  wan::WanOptions none;
  none.models_root = dir / "no-models-here";
  registry.add(wan::make_wan_model(wan::wan_spec("wan2.1-t2v-1.3b"), none));
  Json spec = diag_spec("diag-noop", "first");
  spec["pipeline"]["steps"].push_back({{"id", "wan"},
                                       {"task", "text_to_image"},
                                       {"model", "wan2.1-t2v-1.3b"},
                                       {"params", {{"prompt", "a red ball"}}}});
  Job f = failed_at_once(spec);
  EXPECT_NE(f.error.find("weights:Wan2.1-T2V-1.3B"), std::string::npos) << f.error;
  EXPECT_EQ(f.error.find(none.models_root.string()), std::string::npos) << f.error;
  EXPECT_TRUE(artifacts->list().empty()) << "the first step ran";
  EXPECT_DOUBLE_EQ(keys->usage(key_id).spent_usd, 0.0);
}

TEST_F(JobRunner, NonRetryableModelFailureFailsTheJob) {
  for (const char* kind : {"InvalidInput", "Policy", "Unsupported"}) {
    Job j = enqueue(diag_spec("diag-sleep", kind, {{"fail", kind}}));
    auto [claimed, lease] = *jobs->claim("w1", 30'000, wall_ms());
    AttemptReport r = run_job_attempt(env(), claimed, lease, CancelToken());
    EXPECT_EQ(r.end, AttemptEnd::failed) << kind;
    EXPECT_EQ(job(j.id).status, JobStatus::failed) << kind;
    EXPECT_EQ(job(j.id).attempts, 1) << kind;
  }
  EXPECT_DOUBLE_EQ(keys->usage(key_id).reserved_usd, 0.0);
  EXPECT_DOUBLE_EQ(keys->usage(key_id).spent_usd, 0.0);
}

TEST_F(JobRunner, RetryableFailureRequeuesUntilAttemptsRunOut) {
  Job j = enqueue(diag_spec("diag-sleep", "io", {{"fail", "Io"}}), /*max_attempts=*/2);
  auto [c1, l1] = *jobs->claim("w1", 30'000, wall_ms());
  EXPECT_EQ(run_job_attempt(env(), c1, l1, CancelToken()).end, AttemptEnd::retrying);
  Job q = job(j.id);
  EXPECT_EQ(q.status, JobStatus::queued);
  EXPECT_GT(q.not_before_ms, wall_ms()) << "a retry waits for its backoff";
  EXPECT_GT(keys->usage(key_id).reserved_usd, 0.0) << "the reservation stays for the retry";

  EXPECT_FALSE(jobs->claim("w1", 30'000, wall_ms())) << "claimed before the backoff ran out";
  auto [c2, l2] = *jobs->claim("w1", 30'000, q.not_before_ms + 1);
  EXPECT_EQ(l2.attempt, 2);
  EXPECT_EQ(run_job_attempt(env(), c2, l2, CancelToken()).end, AttemptEnd::failed);
  Job f = job(j.id);
  EXPECT_EQ(f.status, JobStatus::failed);
  EXPECT_NE(f.error.find("Io"), std::string::npos) << f.error;
  Usage u = keys->usage(key_id);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0.0);
  EXPECT_DOUBLE_EQ(u.spent_usd, 0.0);
  EXPECT_EQ(u.jobs_settled, 0);
}

TEST_F(JobRunner, FailOnceSucceedsOnTheRetryAndIsChargedOnce) {
  Job j = enqueue(diag_spec("diag-sleep", "flaky", {{"fail_once", "Io"}}));
  auto [c1, l1] = *jobs->claim("w1", 30'000, wall_ms());
  EXPECT_EQ(run_job_attempt(env(), c1, l1, CancelToken()).end, AttemptEnd::retrying);
  auto [c2, l2] = *jobs->claim("w2", 30'000, job(j.id).not_before_ms + 1);
  EXPECT_EQ(run_job_attempt(env(), c2, l2, CancelToken()).end, AttemptEnd::succeeded);
  EXPECT_EQ(job(j.id).status, JobStatus::succeeded);
  EXPECT_EQ(job(j.id).attempts, 2);
  EXPECT_EQ(keys->usage(key_id).jobs_settled, 1);
  EXPECT_EQ(count_events(events_of(j.id), "retrying"), 1);
}

TEST_F(JobRunner, LeaseLostMidRunStopsTheRunAndWritesNothingMore) {
  Job j = enqueue(diag_spec("diag-sleep", "long", {{"ms", 5000}}));
  auto [c1, l1] = *jobs->claim("w1", 30'000, wall_ms());
  // Beat every 200 ms; the first beat finds the job handed on.
  auto t0 = Clock::now();
  auto first = std::async(std::launch::async, [&, c = c1, l = l1] {
    return run_job_attempt(env(30'000, 200), c, l, CancelToken());
  });
  std::this_thread::sleep_for(50ms);
  // Another worker claims it as if the lease had run out (its clock is past the expiry).
  auto taken = jobs->claim("w2", 30'000, l1.expires_ms + 1);
  ASSERT_TRUE(taken);
  ASSERT_EQ(taken->first.id, j.id);
  const auto seq_at_handover = events_of(j.id).back().seq;
  const Json progress_at_handover = job(j.id).progress;

  AttemptReport r = first.get();
  EXPECT_EQ(r.end, AttemptEnd::lease_lost);
  EXPECT_LT(ms_since(t0), 2000) << "the run went on after the lease was lost";

  Job now = job(j.id);
  EXPECT_EQ(now.status, JobStatus::running);
  EXPECT_EQ(now.worker_id, "w2");
  EXPECT_EQ(now.progress, progress_at_handover);
  EXPECT_EQ(events_of(j.id).back().seq, seq_at_handover) << "the old worker wrote events";
  EXPECT_EQ(keys->usage(key_id).jobs_settled, 0) << "the old worker charged the job";

  // The new holder finishes it; it is charged once.
  std::this_thread::sleep_for(10ms);
  Job fresh = now;
  fresh.spec = diag_spec("diag-sleep", "long", {{"ms", 0}});  // do not wait 5 s here
  EXPECT_EQ(run_job_attempt(env(), fresh, taken->second, CancelToken()).end, AttemptEnd::succeeded);
  EXPECT_EQ(job(j.id).status, JobStatus::succeeded);
  EXPECT_EQ(keys->usage(key_id).jobs_settled, 1);
}

TEST_F(JobRunner, CancelStopsARunningStepWithinOneHeartbeat) {
  constexpr std::int64_t beat_ms = 200;
  Job j = enqueue(diag_spec("diag-sleep", "cancel me", {{"ms", 20000}}));
  auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
  auto run = std::async(std::launch::async, [&, c = c, l = l] {
    return run_job_attempt(env(30'000, beat_ms), c, l, CancelToken());
  });
  std::this_thread::sleep_for(300ms);
  auto t_cancel = Clock::now();
  ASSERT_TRUE(jobs->request_cancel(j.id));
  AttemptReport r = run.get();
  double took = ms_since(t_cancel);
  EXPECT_EQ(r.end, AttemptEnd::canceled) << r.error;
  EXPECT_LT(took, beat_ms + 300) << "cancel took " << took << " ms";
  EXPECT_EQ(job(j.id).status, JobStatus::canceled);
  Usage u = keys->usage(key_id);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0.0);
  EXPECT_DOUBLE_EQ(u.spent_usd, 0.0) << "the interrupted step is not charged";
}

TEST_F(JobRunner, CanceledJobPaysForTheStepsItFinished) {
  AttemptReport r = cancel_after_first_step(diag_spec("diag-noop", "first"));
  EXPECT_EQ(r.end, AttemptEnd::canceled);
  EXPECT_GT(r.usd, 0.0);
  Usage u = keys->usage(key_id);
  EXPECT_EQ(u.jobs_settled, 1);
  EXPECT_NEAR(u.spent_usd, r.usd, 1e-9);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0.0);
}

// A hosted call (priced per image, billed by the provider) finished before the cancel: its
// artifact is stored, so the canceled job pays the provider's bill for it, not $0.
class BilledStill final : public model::TextToImage {
 public:
  BilledStill() {
    card_.id = "test-billed-still";
    card_.version = "1";
    card_.tasks = {model::Task::text_to_image};
    card_.devices = {"provider"};
    card_.price = {model::PricePer::image, 0.40, "test rule"};
  }
  const model::ModelCard& card() const override { return card_; }
  model::ImageResult generate(const model::TextToImageRequest&, model::RunContext&) override {
    model::ImageResult r;
    r.image = media::Image(16, 16);
    r.billed_usd = 0.25;  // the provider's own bill wins over the rule
    return r;
  }
  std::optional<double> estimate_usd(const model::PlannedCall&) const override {
    return card_.price.usd;
  }

 private:
  model::ModelCard card_;
};

// A step's notes (what the CLI prints as "note: ...") are part of the job's result.
TEST_F(JobRunner, TheResultCarriesTheStepsNotes) {
  class Noted final : public model::TextToImage {
   public:
    Noted() {
      card_.id = "test-noted-still";
      card_.version = "1";
      card_.tasks = {model::Task::text_to_image};
    }
    const model::ModelCard& card() const override { return card_; }
    model::ImageResult generate(const model::TextToImageRequest&, model::RunContext&) override {
      model::ImageResult r;
      r.image = media::Image(16, 16);
      r.notes = {"'sparkly' is not a word this model knows"};
      return r;
    }

   private:
    model::ModelCard card_;
  };
  registry.add(std::make_shared<Noted>());
  for (int run = 0; run < 2; ++run) {  // the second run is a cache hit: same notes
    Job j = enqueue(diag_spec("test-noted-still", "sparkly"));
    auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
    ASSERT_EQ(run_job_attempt(env(), c, l, CancelToken()).end, AttemptEnd::succeeded);
    const Json notes = job(j.id).result["notes"];
    ASSERT_EQ(notes.size(), 1u) << notes;
    EXPECT_EQ(notes[0], "step 'still': 'sparkly' is not a word this model knows");
    EXPECT_EQ(job(j.id).result["cached"], run);
  }
}

TEST_F(JobRunner, CanceledJobPaysTheProvidersBillForAFinishedHostedStep) {
  registry.add(std::make_shared<BilledStill>());
  // Reserved at its price rule ($0.40), as admission would: the $0.25 bill is within it.
  AttemptReport r = cancel_after_first_step(diag_spec("test-billed-still", "first"), 0.40);
  EXPECT_EQ(r.end, AttemptEnd::canceled);
  EXPECT_NEAR(r.usd, 0.25, 1e-9);  // the bill; the interrupted step is not charged
  EXPECT_NEAR(keys->usage(key_id).spent_usd, 0.25, 1e-9);
  EXPECT_DOUBLE_EQ(keys->usage(key_id).reserved_usd, 0.0);
}

TEST_F(JobRunner, AbandonHandsTheJobBackToTheQueue) {
  Job j = enqueue(diag_spec("diag-sleep", "abandon", {{"ms", 20000}}));
  auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
  CancelToken abandon;
  auto run = std::async(std::launch::async, [&, c = c, l = l] {
    return run_job_attempt(env(30'000, 10'000), c, l, abandon);
  });
  std::this_thread::sleep_for(100ms);
  auto t0 = Clock::now();
  abandon.cancel();
  AttemptReport r = run.get();
  EXPECT_EQ(r.end, AttemptEnd::abandoned);
  EXPECT_LT(ms_since(t0), 1000);
  Job q = job(j.id);
  EXPECT_EQ(q.status, JobStatus::queued);
  EXPECT_NE(q.error.find("stopped"), std::string::npos) << q.error;
  EXPECT_GT(keys->usage(key_id).reserved_usd, 0.0);
}

TEST(DiagnosticModels, RegisteredOnlyWhenAskedFor) {
  ::unsetenv("REEL_DIAGNOSTIC_MODELS");
  model::Registry none;
  EXPECT_FALSE(register_diagnostic_models_from_env(none));
  EXPECT_EQ(none.find("diag-noop"), nullptr);
  ::setenv("REEL_DIAGNOSTIC_MODELS", "yes", 1);
  EXPECT_FALSE(register_diagnostic_models_from_env(none));
  ::setenv("REEL_DIAGNOSTIC_MODELS", "1", 1);
  model::Registry some;
  EXPECT_TRUE(register_diagnostic_models_from_env(some));
  EXPECT_NE(some.find("diag-noop"), nullptr);
  EXPECT_NE(some.find("diag-sleep"), nullptr);
  ::unsetenv("REEL_DIAGNOSTIC_MODELS");
}

}  // namespace
}  // namespace reel::server::test
