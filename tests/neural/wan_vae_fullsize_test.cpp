// Full-size Wan VAE shapes on the CPU (run alone in reel_neural_fullsize_tests):
// Wan2.1 (127M parameters) with seeded random weights written by the Python reference,
// encode and decode of a 5-frame 64×64 clip compared with the reference's whole-sequence pass;
// Wan2.2 (705M parameters, 2.8 GB fp32) with reel's own random weights, encode and decode
// through the official shapes. Memory: about 3.5 GB at peak (the 2.2 weights); disk 0.5 GB.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "neural/reference_case.hpp"
#include "neural/wan_vae.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

using Clock = std::chrono::steady_clock;
using reel::testing::TempDir;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(WanVaeFullSize, Wan21MatchesReference) {
  TempDir dir;
  const std::string cmd = reference::python() + " " +
                          reference::quote(std::filesystem::path(REEL_SOURCE_DIR) / "tests" /
                                           "reference" / "make_vae_case.py") +
                          " --version 2.1 --official --size 64 --frames 5 --no-perturbed --out " +
                          reference::quote(dir.path());
  const auto start = Clock::now();
  auto r = reel::testing::run_command(cmd, true);
  ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
  const double python_s = seconds_since(start);
  const std::string common = "--version 2.1 --weights " +
                             reference::quote(dir / "weights.safetensors") + " --inputs " +
                             reference::quote(dir / "inputs.safetensors");
  const auto reel_start = Clock::now();
  reference::run_reel_neural("vae-encode", common + " --out " + reference::quote(dir / "enc.st"));
  reference::run_reel_neural("vae-decode", common + " --out " + reference::quote(dir / "dec.st"));
  if (::testing::Test::HasFatalFailure()) return;
  const double reel_s = seconds_since(reel_start);
  const auto expected = dir / "expected.safetensors";
  const double enc_err = reference::max_abs_diff(reference::load(dir / "enc.st", "latent"),
                                                 reference::load(expected, "latent"));
  const double dec_err = reference::max_abs_diff(reference::load(dir / "dec.st", "video"),
                                                 reference::load(expected, "video"));
  std::printf(
      "[vae fullsize] Wan2.1 5x64x64: encode err %.3g, decode err %.3g; "
      "reference (write + run) %.1f s, reel (2 processes) %.1f s\n",
      enc_err, dec_err, python_s, reel_s);
  EXPECT_LE(enc_err, 1e-4);
  EXPECT_LE(dec_err, 1e-4);
}

TEST(WanVaeFullSize, Wan22RoundTripShapes) {
  WanVAE vae(WanVaeConfig::wan22(), Device::cpu(), DType::f32);
  vae.init_random(7);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  auto video = at::rand({1, 3, 5, 64, 64}, gen) * 2 - 1;
  auto start = Clock::now();
  auto latent = vae.encode(video);
  const double enc_s = seconds_since(start);
  ASSERT_EQ(latent.sizes().vec(), (std::vector<std::int64_t>{1, 48, 2, 4, 4}));
  EXPECT_TRUE(at::isfinite(latent).all().item<bool>());
  start = Clock::now();
  auto back = vae.decode(latent);
  const double dec_s = seconds_since(start);
  ASSERT_EQ(back.sizes().vec(), (std::vector<std::int64_t>{1, 3, 5, 64, 64}));
  EXPECT_TRUE(at::isfinite(back).all().item<bool>());
  EXPECT_LE(back.abs().max().item<float>(), 1.0f);
  EXPECT_GT(back.std().item<float>(), 1e-3f) << "decoded a constant";
  std::printf("[vae fullsize] Wan2.2 5x64x64: encode %.2f s, decode %.2f s\n", enc_s, dec_s);
}

}  // namespace
}  // namespace reel::neural
