// Full-size shapes: random checkpoints with the complete official key set of
// Wan2.1-T2V-1.3B and Wan2.2-TI2V-5B, written as BF16 at test time (never committed),
// loaded and run once at a tiny latent on the CPU.
// Memory: the 5B test needs about 11 GB of RAM (bf16 weights) plus 10 GB of disk; the
// 1.3B test about 6 GB (weights widened to fp32) plus 2.9 GB of disk. A machine with
// less fails with the bytes needed; it does not skip.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "neural/runtime.hpp"
#include "neural/wan_dit.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Writes every parameter of `c` as BF16 from a 32 MiB pattern of small random values
// (|v| in [2^-8, 2^-6)), streamed so the file never sits in memory. Returns its bytes.
std::uint64_t write_bf16_checkpoint(const std::filesystem::path& path, const WanConfig& c) {
  WanWeights shapes;
  auto params = wan_parameters(c, shapes);
  Json header = Json::object();
  std::uint64_t offset = 0;
  for (const auto& p : params) {
    std::uint64_t n = 2;
    for (auto s : p.shape) n *= static_cast<std::uint64_t>(s);
    header[p.name] = {
        {"dtype", "BF16"}, {"shape", p.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  constexpr std::size_t kPattern = std::size_t{16} << 20;  // bf16 values
  std::vector<std::uint16_t> pattern(kPattern);
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  for (auto& v : pattern) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    const auto sign = static_cast<std::uint16_t>((s >> 63) << 15);
    const auto exponent = static_cast<std::uint16_t>((119 + ((s >> 40) & 1)) << 7);
    v = static_cast<std::uint16_t>(sign | exponent | (s & 0x7F));
  }

  std::ofstream out(path, std::ios::binary);
  const std::uint64_t len = text.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  std::size_t cursor = 0;
  for (std::uint64_t left = offset / 2; left > 0;) {
    const auto chunk = std::min<std::uint64_t>(left, kPattern - cursor);
    out.write(reinterpret_cast<const char*>(pattern.data() + cursor),
              static_cast<std::streamsize>(chunk * 2));
    left -= chunk;
    cursor = (cursor + chunk + 7919) % kPattern;  // shift so tensors do not repeat exactly
  }
  out.close();
  if (!out) ADD_FAILURE() << "writing " << path << " failed";
  return 8 + text.size() + offset;
}

void run_full_size(const std::string& preset, DType compute) {
  const auto c = wan_preset(preset);
  WanDiT dit(c, Device::cpu(), compute);
  const auto [resident, host] = dit.parameter_bytes();
  const std::uint64_t needed = resident + host + (std::uint64_t{1} << 30);  // + activations
  const auto available = available_bytes(Device::cpu());
  ASSERT_TRUE(available.has_value());
  ASSERT_GE(*available, needed) << preset << " full-size test needs " << format_bytes(needed)
                                << " of RAM, MemAvailable is " << format_bytes(*available);

  reel::testing::TempDir dir;
  const auto path = dir / "diffusion_pytorch_model.safetensors";
  WanWeights shapes;
  std::uint64_t file_bytes = 0;
  for (const auto& p : wan_parameters(c, shapes)) {
    std::uint64_t n = 2;
    for (auto s : p.shape) n *= static_cast<std::uint64_t>(s);
    file_bytes += n;
  }
  const auto disk = std::filesystem::space(dir.path()).available;
  ASSERT_GE(disk, file_bytes + (std::uint64_t{1} << 30))
      << preset << " full-size test needs " << format_bytes(file_bytes) << " of disk";

  auto start = Clock::now();
  const auto written = write_bf16_checkpoint(path, c);
  const double write_s = seconds_since(start);
  start = Clock::now();
  dit.load(path);
  const double load_s = seconds_since(start);

  // Tiny latent: 1 frame of 4×4 → 4 tokens; 8 real text tokens padded to 512.
  auto x = at::randn({1, c.in_dim, 1, 4, 4});
  auto context = at::randn({1, 8, c.text_dim});
  const std::int64_t tokens = 4;
  auto t =
      c.model_type == WanModelType::ti2v ? at::full({1, tokens}, 500.0f) : at::full({1}, 500.0f);
  start = Clock::now();
  auto y = dit.forward(x, t, context);
  const double forward_s = seconds_since(start);
  std::printf("%s: file %s written in %.1f s, loaded (%s) in %.1f s, forward in %.2f s\n",
              preset.c_str(), format_bytes(written).c_str(), write_s,
              std::string(compute_dtype_name(compute)).c_str(), load_s, forward_s);

  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{1, c.out_dim, 1, 4, 4}));
  EXPECT_EQ(y.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::isfinite(y).all().item<bool>());
  EXPECT_GT(y.std().item<double>(), 0.0);
}

TEST(WanDiTFullSize, Wan21T2V13BLoadsAndRuns) {
  run_full_size("wan2.1-t2v-1.3b", DType::f32);
}

TEST(WanDiTFullSize, Wan22TI2V5BLoadsAndRunsInBf16) {
  run_full_size("wan2.2-ti2v-5b", DType::bf16);
}

}  // namespace
}  // namespace reel::neural
