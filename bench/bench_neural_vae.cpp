// Seconds per Wan VAE decode on the CPU at a small size: the official Wan2.1 and Wan2.2
// shapes (random weights in memory), a 2-frame latent → 5 frames of 128×128, fp32, chunked
// and cached as in production. tests/reference/bench_vae.py times the Python reference
// (whole-sequence pass) on the same shapes; scripts/bench_neural_vae prints both.
//   ./build/bin/bench_bench_neural_vae [--benchmark_filter=21]
// One untimed warm-up decode, then one timed decode; "CPU" is the whole process's CPU time.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "neural/wan_vae.hpp"

namespace {

using namespace reel::neural;

void BM_WanVaeDecode(benchmark::State& state, bool v22) {
  const auto c = v22 ? WanVaeConfig::wan22() : WanVaeConfig::wan21();
  WanVAE vae(c, Device::cpu(), DType::f32);
  vae.init_random(1);
  const std::int64_t side = 128 / c.spatial_factor();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  auto latent = at::randn({1, c.z_dim, 2, side, side}, gen);
  benchmark::DoNotOptimize(vae.decode(latent));  // warm-up
  for (auto _ : state) {
    auto y = vae.decode(latent);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  state.counters["threads"] = at::get_num_threads();
}

BENCHMARK_CAPTURE(BM_WanVaeDecode, wan21_5x128x128, false)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_WanVaeDecode, wan22_5x128x128, true)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
