// Orchestration cost of hosted-model steps, against the fal protocol test double on
// loopback (which answers at once, so what is measured is reel's side: planning,
// submission, the pending record, polling, download, decoding and storing).
//   ProviderStep        one still per iteration, cache off: ms per step
//   ManyProviderSteps   N independent stills in one pipeline: wall ms, peak threads
#include <benchmark/benchmark.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "reel/pipeline/executor.hpp"
#include "reel/providers/providers.hpp"
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

  Fixture() {
    fal.configure({{"polls_before_done", 0}});
    options.keys["FAL_KEY"] = kKey;
    options.base_urls["fal"] = fal.base_url();
    options.poll_interval = 1ms;
    providers::register_models(registry, options);
    store = std::make_unique<pipeline::ArtifactStore>(dir / "store");
  }
};

pipeline::Graph stills(int n, int salt) {
  pipeline::Graph g;
  g.name = "bench";
  g.seed = 1;
  for (int i = 0; i < n; ++i)
    g.steps.push_back({"s" + std::to_string(i),
                       model::Task::text_to_image,
                       "fal:fal-ai/flux/dev",
                       {},
                       {{"prompt", "mug " + std::to_string(salt) + "-" + std::to_string(i)},
                        {"width", 64},
                        {"height", 48}},
                       {}});
  g.output = "s0";
  return g;
}

int threads_now() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return 0;
}

void ProviderStep(benchmark::State& state) {
  Fixture f;
  pipeline::Executor ex(f.registry, *f.store);
  pipeline::RunOptions ro;
  ro.use_cache = false;
  const pipeline::Graph g = stills(1, 0);
  for (auto _ : state) ex.run(g, ro);
  state.counters["requests_per_step"] =
      double(f.fal.state()["requests"].size()) / double(state.iterations());
}
BENCHMARK(ProviderStep)->Unit(benchmark::kMillisecond)->MinTime(3.0);

void ManyProviderSteps(benchmark::State& state) {
  Fixture f;
  pipeline::Executor ex(f.registry, *f.store);
  int salt = 0, peak = 0;
  for (auto _ : state) {
    std::atomic<bool> done{false};
    std::thread sampler([&] {
      while (!done) {
        peak = std::max(peak, threads_now());
        std::this_thread::sleep_for(2ms);
      }
    });
    ex.run(stills(static_cast<int>(state.range(0)), ++salt));
    done = true;
    sampler.join();
  }
  state.counters["steps"] = double(state.range(0));
  state.counters["peak_threads"] = peak;
}
BENCHMARK(ManyProviderSteps)->Arg(100)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
