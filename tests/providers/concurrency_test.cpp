// Many hosted steps in one run: all in flight at the provider at once, driven by a few
// threads (the call scheduler), not by a thread per step or a fixed slot count.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "reel/core/thread_pool.hpp"
#include "reel/pipeline/executor.hpp"
#include "reel/providers/providers.hpp"
#include "support/many_steps.hpp"
#include "support/provider_double.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
using namespace std::chrono_literals;

constexpr const char* kKey = "sk-test-Secret-0f1e2d3c4b5a";

TEST(ProviderConcurrency, HundredStepsAreInFlightAtOnceOnAFewThreads) {
  constexpr int kSteps = 100;
  testing::TempDir dir;
  testing::DoubleProcess fal("fal", kKey);
  // Every task stays running until all 100 have been in progress at once (or 20 s pass,
  // so a run that keeps fewer in flight ends, and fails below, instead of hanging).
  fal.configure({{"hold_until_in_progress", kSteps}, {"hold_seconds", 20}});
  providers::ProviderOptions options;
  options.keys["FAL_KEY"] = kKey;
  options.base_urls["fal"] = fal.base_url();
  options.poll_interval = 50ms;
  model::Registry registry;
  providers::register_models(registry, options);
  pipeline::ArtifactStore store(dir / "store");
  pipeline::Executor ex(registry, store);

  default_pool();  // the media pool (one thread per core) counts in the baseline
  const int baseline = testing::process_threads();
  std::atomic<bool> running{true};
  std::atomic<int> peak{0};
  std::thread sampler([&] {
    while (running) {
      peak = std::max(peak.load(), testing::process_threads());
      std::this_thread::sleep_for(2ms);
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  pipeline::RunResult r;
  try {
    r = ex.run(testing::fal_stills(kSteps));
  } catch (...) {
    running = false;
    sampler.join();
    throw;
  }
  running = false;
  sampler.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // (a) the provider saw all of them in progress at the same time;
  EXPECT_EQ(fal.count("max_in_progress"), kSteps);
  EXPECT_EQ(fal.count("submit"), kSteps);
  EXPECT_LT(secs, 15.0);  // no task waited for the double's hold to run out
  // (b) on a number of threads that does not grow with the steps: the scheduler's workers
  // and timer, the run's finishers, the sampler, and a few to spare (not 100, not 16);
  const int extra = peak - baseline;
  EXPECT_LE(extra, 12) << "baseline " << baseline << ", peak " << peak;
  std::printf(
      "[ info ] %d steps: %.2f s, %d tasks in progress at once, %d threads at the "
      "peak (%d before the run)\n",
      kSteps, secs, fal.count("max_in_progress"), peak.load(), baseline);
  // (c) every output stored, and a re-run is all cache hits: not one request.
  EXPECT_EQ(r.executed, kSteps);
  EXPECT_EQ(store.list().size(), static_cast<std::size_t>(kSteps));
  const std::size_t requests = fal.state()["requests"].size();
  const pipeline::RunResult again = ex.run(testing::fal_stills(kSteps));
  EXPECT_EQ(again.cached, kSteps);
  EXPECT_EQ(again.executed, 0);
  EXPECT_EQ(fal.state()["requests"].size(), requests);
}

}  // namespace
}  // namespace reel
