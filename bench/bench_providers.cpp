// Orchestration cost of hosted-model steps, against the fal protocol test double on
// loopback (which answers at once, so what is measured is reel's side: planning,
// submission, the pending record, polling, download, decoding and storing).
//   ProviderStep        one still per iteration, cache off: ms per step
//   ManyProviderSteps   N independent stills in one pipeline, each held running at the
//                       double until all N are in progress at once: wall ms, peak
//                       threads in the process, most tasks in progress at the double
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "reel/pipeline/executor.hpp"
#include "reel/providers/providers.hpp"
#include "support/many_steps.hpp"
#include "support/provider_double.hpp"
#include "support/test_dirs.hpp"

namespace {
using namespace reel;
using namespace std::chrono_literals;

constexpr const char* kKey = "bench-key-0123456789";

struct Fixture {
  testing::TempDir dir;
  testing::DoubleProcess fal{"fal", kKey};
  providers::ProviderOptions options;
  model::Registry registry;
  std::unique_ptr<pipeline::ArtifactStore> store;

  explicit Fixture(std::chrono::milliseconds poll = 1ms) {
    fal.configure({{"polls_before_done", 0}});
    options.keys["FAL_KEY"] = kKey;
    options.base_urls["fal"] = fal.base_url();
    options.poll_interval = poll;
    providers::register_models(registry, options);
    store = std::make_unique<pipeline::ArtifactStore>(dir / "store");
  }
};

void ProviderStep(benchmark::State& state) {
  Fixture f;
  pipeline::Executor ex(f.registry, *f.store);
  pipeline::RunOptions ro;
  ro.use_cache = false;
  const pipeline::Graph g = testing::fal_stills(1);
  for (auto _ : state) ex.run(g, ro);
  state.counters["requests_per_step"] =
      double(f.fal.state()["requests"].size()) / double(state.iterations());
}
BENCHMARK(ProviderStep)->Unit(benchmark::kMillisecond)->MinTime(3.0);

void ManyProviderSteps(benchmark::State& state) {
  // A real provider's task takes 30 s to 5 min: every call is still running when the last
  // is submitted. The double holds each task running until all N are (or 30 s pass), and
  // the polls start at 50 ms so they do not swamp the (Python) double.
  Fixture f(50ms);
  f.fal.configure({{"hold_until_in_progress", state.range(0)}, {"hold_seconds", 30}});
  pipeline::Executor ex(f.registry, *f.store);
  int salt = 0, peak = 0;
  for (auto _ : state) {
    std::atomic<bool> done{false};
    std::thread sampler([&] {
      while (!done) {
        peak = std::max(peak, testing::process_threads());
        std::this_thread::sleep_for(2ms);
      }
    });
    ex.run(testing::fal_stills(static_cast<int>(state.range(0)), ++salt));
    done = true;
    sampler.join();
  }
  state.counters["steps"] = double(state.range(0));
  state.counters["peak_threads"] = peak;
  state.counters["max_in_progress"] = f.fal.count("max_in_progress");
}
BENCHMARK(ManyProviderSteps)->Arg(100)->Arg(250)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
