#include "reel/pipeline/executor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>

#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"
#include "support/test_models.hpp"

namespace reel::pipeline {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Fixture {
  testing::TempDir dir;
  model::Registry registry;
  std::shared_ptr<testing::CallLog> image_log = std::make_shared<testing::CallLog>();
  std::shared_ptr<testing::CallLog> video_log = std::make_shared<testing::CallLog>();
  std::unique_ptr<ArtifactStore> store;

  explicit Fixture(std::chrono::milliseconds delay = 0ms) {
    registry.add(testing::make_test_image_model({.id = "img", .delay = delay, .log = image_log}));
    registry.add(testing::make_test_video_model({.id = "vid", .delay = delay, .log = video_log}));
    registry.add(testing::make_test_image_model({.id = "broken", .fail = true}));
    store = std::make_unique<ArtifactStore>(dir / "store");
  }
};

Graph three_step_graph() {
  Graph g;
  g.name = "t";
  g.seed = 7;
  g.steps.push_back({"a", model::Task::text_to_image, "img", {}, {{"prompt", "red thing"}}, {}});
  g.steps.push_back({"b", model::Task::text_to_image, "img", {}, {{"prompt", "blue place"}}, {}});
  g.steps.push_back({"film",
                     model::Task::image_to_video,
                     "vid",
                     {{"image", "a"}, {"background", "b"}},
                     {{"motion", "pan"}, {"duration", 0.5}, {"fps", 12}},
                     {}});
  g.output = "film";
  return g;
}

TEST(Executor, SecondRunExecutesNothingAndChangingTheLastStepRunsOnlyIt) {
  Fixture f;
  Executor ex(f.registry, *f.store);
  Graph g = three_step_graph();

  RunResult first = ex.run(g);
  EXPECT_EQ(first.executed, 3);
  EXPECT_EQ(first.cached, 0);
  EXPECT_EQ(f.image_log->calls + f.video_log->calls, 3);

  RunResult second = ex.run(g);
  EXPECT_EQ(second.executed, 0);
  EXPECT_EQ(second.cached, 3);
  EXPECT_EQ(f.image_log->calls + f.video_log->calls, 3);  // no model ran again
  EXPECT_EQ(second.output.key, first.output.key);
  ASSERT_EQ(second.cost.steps.size(), first.cost.steps.size());
  for (std::size_t i = 0; i < second.cost.steps.size(); ++i) {
    const auto& s = second.cost.steps[i];
    EXPECT_TRUE(s.cached) << s.step;
    EXPECT_EQ(s.usd.value, 0.0);
    // A hit saves exactly what the first run was billed for that step.
    EXPECT_EQ(s.step, first.cost.steps[i].step);
    EXPECT_DOUBLE_EQ(s.saved_usd.value, first.cost.steps[i].usd.value) << s.step;
  }

  g.find("film")->params["motion"] = "zoom in";
  RunResult third = ex.run(g);
  EXPECT_EQ(third.executed, 1);
  EXPECT_EQ(third.cached, 2);
  EXPECT_EQ(f.video_log->calls, 2);
  EXPECT_EQ(f.image_log->calls, 2);
  for (const auto& s : third.cost.steps) EXPECT_EQ(s.cached, s.step != "film") << s.step;
  EXPECT_NE(third.output.key, first.output.key);
}

TEST(Executor, SeedAndModelVersionArePartOfTheKey) {
  Fixture f;
  Executor ex(f.registry, *f.store);
  Graph g = three_step_graph();
  ex.run(g);
  g.seed = 8;
  RunResult r = ex.run(g);
  EXPECT_EQ(r.executed, 3);
}

TEST(Executor, IndependentStepsOverlapInTime) {
  Fixture f(300ms);
  Executor ex(f.registry, *f.store);
  Graph g = three_step_graph();
  RunOptions o;
  o.cpu_slots = 2;
  auto t0 = std::chrono::steady_clock::now();
  ex.run(g, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(f.image_log->peak_running.load(), 2);  // a and b ran at the same time
  // Serial would be >= 0.9 s (3 x 300 ms); overlapped is ~0.6 s plus storing.
  EXPECT_LT(secs, 0.85);
}

TEST(Executor, OneSlotSerialises) {
  Fixture f(100ms);
  Executor ex(f.registry, *f.store);
  RunOptions o;
  o.cpu_slots = 1;
  ex.run(three_step_graph(), o);
  EXPECT_EQ(f.image_log->peak_running.load(), 1);
}

TEST(Executor, FailingStepFailsTheRunNamingTheStepAndStoresNothingForIt) {
  Fixture f;
  Executor ex(f.registry, *f.store);
  Graph g = three_step_graph();
  g.find("b")->model = "broken";
  try {
    ex.run(g);
    FAIL() << "expected failure";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("step 'b'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("asked to fail"), std::string::npos) << e.what();
  }
  EXPECT_EQ(f.video_log->calls, 0);  // downstream never started
  // Nothing half-written: every object folder in the store is complete.
  for (auto& e : fs::recursive_directory_iterator(f.store->root() / "objects")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
    if (e.is_directory() && e.path().parent_path().parent_path() == f.store->root() / "objects") {
      EXPECT_TRUE(fs::exists(e.path() / "meta.json")) << e.path();
    }
  }
}

TEST(Executor, EventsReportStartProgressFinishAndCached) {
  Fixture f(50ms);
  Executor ex(f.registry, *f.store);
  std::mutex m;
  std::vector<Event> events;
  RunOptions o;
  o.on_event = [&](const Event& e) {
    std::lock_guard lock(m);
    events.push_back(e);
  };
  ex.run(three_step_graph(), o);
  auto count = [&](EventKind k) {
    return std::count_if(events.begin(), events.end(), [&](auto& e) { return e.kind == k; });
  };
  EXPECT_EQ(count(EventKind::step_started), 3);
  EXPECT_EQ(count(EventKind::step_finished), 3);
  EXPECT_GE(count(EventKind::step_progress), 3);
  events.clear();
  ex.run(three_step_graph(), o);
  EXPECT_EQ(count(EventKind::step_cached), 3);
  EXPECT_EQ(count(EventKind::step_started), 0);
}

TEST(Executor, CancellationStopsARunningStep) {
  Fixture f(2000ms);
  Executor ex(f.registry, *f.store);
  RunOptions o;
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    o.cancel.cancel();
  });
  auto t0 = std::chrono::steady_clock::now();
  try {
    ex.run(three_step_graph(), o);
    FAIL() << "expected cancellation";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Cancelled) << e.what();
  }
  canceller.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 1.0);  // did not wait for the 2 s steps
  EXPECT_EQ(f.store->list().size(), 0u);
}

TEST(Executor, CostReportHasTotalsPerSecondAndComparison) {
  Fixture f(20ms);
  Executor ex(f.registry, *f.store);
  RunResult r = ex.run(three_step_graph());
  Json j = r.cost.to_json();
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][2]["step"], "film");
  EXPECT_GT(j["totals"]["usd"].get<double>(), 0.0);
  EXPECT_NEAR(j["video_seconds"].get<double>(), 0.5, 1e-9);
  EXPECT_NEAR(j["usd_per_10s_clip"].get<double>(), j["totals"]["usd"].get<double>() * 20, 1e-12);
  EXPECT_NEAR(j["comparison"]["usd_for_this_length"].get<double>(), 0.065, 1e-12);
  // Round trip.
  CostReport back = CostReport::from_json(j);
  EXPECT_NEAR(back.total_usd().value, r.cost.total_usd().value, 1e-12);
}

TEST(Executor, DryRunPlanEstimatesWithoutRunning) {
  Fixture f;
  Executor ex(f.registry, *f.store);
  RunPlan plan = ex.plan(three_step_graph());
  EXPECT_EQ(plan.steps.size(), 3u);
  EXPECT_GT(plan.usd, 0.0);
  EXPECT_GT(plan.seconds, 0.0);
  EXPECT_EQ(f.image_log->calls + f.video_log->calls, 0);
  EXPECT_EQ(f.store->list().size(), 0u);
}

// Runs with different cache scopes (the server's API keys) share nothing: a scope sees
// only what runs in that scope made, in plans and runs alike.
TEST(Executor, CacheScopesShareNothing) {
  Fixture f;
  Executor ex(f.registry, *f.store);
  RunOptions a, b;
  a.cache_scope = "key_a";
  b.cache_scope = "key_b";
  RunResult first = ex.run(three_step_graph(), a);
  EXPECT_EQ(first.executed, 3);
  for (const auto& s : ex.plan(three_step_graph(), a).steps) EXPECT_TRUE(s.cached) << s.step;
  for (const auto& s : ex.plan(three_step_graph(), b).steps) EXPECT_FALSE(s.cached) << s.step;
  for (const auto& s : ex.plan(three_step_graph()).steps) EXPECT_FALSE(s.cached) << s.step;
  RunResult other = ex.run(three_step_graph(), b);
  EXPECT_EQ(other.executed, 3);
  EXPECT_NE(other.output.key, first.output.key);
  EXPECT_EQ(ex.run(three_step_graph(), a).cached, 3);
}

// Limits hold for the call as it will run: a clip that gives no duration is the
// default 5 s, so a run limited to 1 s is refused before anything runs.
TEST(Executor, LimitsHoldForTheDefaultsAStepLeavesOut) {
  Fixture f;
  Executor ex(f.registry, *f.store);
  Graph g = three_step_graph();
  g.find("film")->params.erase("duration");
  RunOptions o;
  o.limits.max_duration_seconds = 1;
  for (bool run : {false, true}) {
    try {
      if (run)
        ex.run(g, o);
      else
        ex.plan(g, o);
      ADD_FAILURE() << "expected a refusal";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_NE(std::string(e.what()).find("step 'film'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("duration 5 s"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(f.image_log->calls + f.video_log->calls, 0);
  EXPECT_EQ(f.store->list().size(), 0u);
  g.find("film")->params["duration"] = 0.5;
  EXPECT_NO_THROW(ex.plan(g, o));
}

TEST(Executor, ArtifactAndFileInputs) {
  Fixture f;
  Executor ex(f.registry, *f.store);
  RunResult r = ex.run(three_step_graph());
  Graph g;
  g.steps.push_back({"film2",
                     model::Task::image_to_video,
                     "vid",
                     {{"image", "artifact:" + r.artifacts.at("a").key.hex()}},
                     {{"duration", 0.25}, {"fps", 8}},
                     {}});
  RunResult r2 = ex.run(g);
  EXPECT_EQ(r2.executed, 1);
  EXPECT_EQ(r2.output.frame_count, 2);
  g.steps[0].inputs["image"] = "artifact:00000000000000000000000000000000";
  EXPECT_THROW(ex.run(g), Error);
}

}  // namespace
}  // namespace reel::pipeline

namespace reel::pipeline {
namespace {

TEST(ExecutorPlan, VideoEstimatesUseTheBackgroundsSize) {
  Fixture f;
  Executor ex(f.registry, *f.store);
  Graph g = three_step_graph();
  g.find("a")->params["width"] = 3840;  // a 4K character still
  g.find("a")->params["height"] = 2160;
  g.find("b")->params["width"] = 64;  // a small background
  g.find("b")->params["height"] = 48;
  RunPlan plan = ex.plan(g);
  ASSERT_EQ(plan.steps.size(), 3u);
  // Test models: 0.001 s setup + 0.01 s per megapixel-frame; 0.5 s at 12 fps = 6 frames.
  EXPECT_NEAR(plan.steps[2].seconds, 0.001 + 0.01 * (64 * 48 / 1e6) * 6, 1e-12);
}

}  // namespace
}  // namespace reel::pipeline
