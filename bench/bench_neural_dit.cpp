// Seconds per Wan DiT forward on the CPU: the Wan2.1-T2V-1.3B config (random weights
// in memory, no file) at latent 16×5×30×52 → 1,950 tokens, 512×4096 context, fp32 and
// bf16. tests/reference measures the Python reference on the same shapes.
//   ./build/bin/bench_bench_neural_dit [--benchmark_filter=bf16] [--benchmark_filter=blocks4]
// Each case runs one untimed warm-up forward, then one timed forward: "Time" is wall
// time, "CPU" the whole process's CPU time (all threads), which stays meaningful when
// the machine is shared. FLOP/s counts the matmuls and attention of one forward.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "neural/wan_dit.hpp"

namespace {

using namespace reel::neural;

double forward_flops(const WanConfig& c, double tokens) {
  const double d = c.dim, f = c.ffn_dim, txt = c.text_len;
  const double self_attn = 4 * tokens * d * d * 2 + 2 * tokens * tokens * d * 2;
  const double cross = 2 * tokens * d * d * 2 + 2 * txt * d * d * 2 + 2 * tokens * txt * d * 2;
  const double ffn = 2 * tokens * d * f * 2;
  return c.num_layers * (self_attn + cross + ffn) + txt * c.text_dim * d * 2 + txt * d * d * 2;
}

void BM_WanDiT13BForward(benchmark::State& state, DType dtype, int layers = 0) {
  auto c = wan_preset("wan2.1-t2v-1.3b");
  if (layers > 0) c.num_layers = layers;
  WanDiT dit(c, Device::cpu(), dtype);
  dit.init_random(1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  auto x = at::randn({1, c.in_dim, 5, 30, 52}, gen);  // → 5 × 15 × 26 = 1,950 tokens
  auto t = at::full({1}, 999.0f);
  auto context = at::randn({1, c.text_len, c.text_dim}, gen);
  benchmark::DoNotOptimize(dit.forward(x, t, context));  // warm-up
  for (auto _ : state) {
    auto y = dit.forward(x, t, context);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  state.counters["threads"] = at::get_num_threads();
  state.counters["FLOP/s"] =
      benchmark::Counter(forward_flops(c, 1950) * state.iterations(), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_WanDiT13BForward, fp32, DType::f32)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_WanDiT13BForward, bf16, DType::bf16)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

// Four of the 30 blocks: the same matmul shapes in ~1/7 of the time, repeated to compare
// backends (BLAS flavours, dtypes) on a shared machine; scripts/bench_neural skips it.
BENCHMARK_CAPTURE(BM_WanDiT13BForward, blocks4_fp32, DType::f32, 4)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_WanDiT13BForward, blocks4_bf16, DType::bf16, 4)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
