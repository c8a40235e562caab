// Pipeline benchmarks: the executor's overhead per step (a no-op model, so what is
// measured is validation, keying, scheduling, storing and pricing) and the demo
// clip end to end (both stills + 5 s of 1280x720 at 24 fps + H.264 encode).
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "reel/pipeline/executor.hpp"
#include "reel/pipeline/pipeline_file.hpp"
#include "reel/provenance/provenance.hpp"
#include "reel/sdk/session.hpp"

namespace {
namespace fs = std::filesystem;
using namespace reel;

// Returns a 16x16 still instantly: only the executor's own work is timed.
class NoopImageModel : public model::TextToImage {
 public:
  NoopImageModel() {
    card_.id = "noop";
    card_.version = "1";
    card_.tasks = {model::Task::text_to_image};
    card_.devices = {"cpu"};
    card_.training_data = model::TrainingData::synthetic;
  }
  const model::ModelCard& card() const override { return card_; }
  model::ImageResult generate(const model::TextToImageRequest& r, model::RunContext&) override {
    model::ImageResult out;
    out.image = media::Image(16, 16);
    out.image.u8()[0] = static_cast<std::uint8_t>(r.seed);
    return out;
  }

 private:
  model::ModelCard card_;
};

fs::path temp_store() {
  fs::path p = fs::temp_directory_path() / ("reel-bench-" + std::to_string(std::random_device{}()));
  fs::create_directories(p);
  return p;
}

pipeline::Graph noop_graph(int steps, std::uint64_t seed) {
  pipeline::Graph g;
  g.seed = seed;
  for (int i = 0; i < steps; ++i)
    g.steps.push_back({"s" + std::to_string(i),
                       model::Task::text_to_image,
                       "noop",
                       {},
                       {{"prompt", "p" + std::to_string(i)}},
                       {}});
  return g;
}

void BM_ExecutorOverheadPerStep(benchmark::State& state) {
  const bool cached = state.range(0) == 1;
  const int steps = 64;
  fs::path root = temp_store();
  {
    model::Registry reg;
    reg.add(std::make_shared<NoopImageModel>());
    pipeline::ArtifactStore store(root);
    pipeline::Executor ex(reg, store);
    std::uint64_t seed = 0;
    if (cached) ex.run(noop_graph(steps, seed));
    double seconds = 0;
    for (auto _ : state) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = ex.run(noop_graph(steps, cached ? 0 : ++seed));
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      benchmark::DoNotOptimize(r.executed);
    }
    state.counters["us_per_step"] =
        seconds * 1e6 / (static_cast<double>(steps) * state.iterations());
  }
  fs::remove_all(root);
}
BENCHMARK(BM_ExecutorOverheadPerStep)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("cached")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_DemoClip(benchmark::State& state) {
  fs::path root = temp_store();
  {
    sdk::SessionOptions o;
    o.store_root = root;
    o.use_cache = false;  // every iteration renders both stills and the clip
    sdk::Session session(o);
    pipeline::Graph g = pipeline::load_pipeline(REEL_SOURCE_DIR "/examples/astronaut_on_mars.yaml");
    double frames = 0;
    for (auto _ : state) {
      auto r = session.run(g);
      frames += r.output.frame_count;
    }
    state.counters["frames_per_s"] = benchmark::Counter(frames, benchmark::Counter::kIsRate);
  }
  fs::remove_all(root);
}
BENCHMARK(BM_DemoClip)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);

// Signing the demo's 5 s 720p clip with a C2PA manifest (hash the MP4, build and
// sign the claim, shift chunk offsets, rewrite the file), to compare with BM_DemoClip.
void BM_SignDemoClip(benchmark::State& state) {
  fs::path root = temp_store();
  {
    sdk::SessionOptions o;
    o.store_root = root;
    sdk::Session session(o);
    pipeline::Graph g = pipeline::load_pipeline(REEL_SOURCE_DIR "/examples/astronaut_on_mars.yaml");
    auto r = session.run(g);
    provenance::KeyPaths keys = provenance::init_keys(root / "keys");
    provenance::ManifestFacts facts;
    facts.title = "clip.mp4";
    for (const auto& m : session.registry().models())
      facts.models.push_back({m->card().id, m->card(), Json::object()});
    for (auto _ : state) {
      state.PauseTiming();
      fs::copy_file(r.output.file, root / "clip.mp4", fs::copy_options::overwrite_existing);
      state.ResumeTiming();
      provenance::sign_file(root / "clip.mp4", facts, {keys.key_pem, keys.cert_chain_pem});
    }
    state.counters["mp4_bytes"] = static_cast<double>(fs::file_size(r.output.file));
  }
  fs::remove_all(root);
}
BENCHMARK(BM_SignDemoClip)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
