// reel's Wan VAE (`reel neural vae-encode` / `vae-decode`) against the project's independent
// Python reference (tests/reference/wan_vae.py) at tiny seeded configs of both versions. The
// reference runs every layer over the whole sequence with no chunks and no caches, so
// agreement also shows that reel's chunked, cached inference (first frame, then 4 at a time to
// encode; one latent frame at a time to decode) equals the whole-sequence causal pass. Every
// case also checks that reel is far from each perturbed reference (norm gamma, latent
// constants, cache depth, time_conv order and context, downsample padding, attention scale,
// and for 2.2 the patchify order, stage shortcuts and DupUp3D's dropped frame).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "neural/reference_case.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural::reference {
namespace {

using reel::testing::TempDir;

// fp32 both sides; what is left is summation order (~2e-6 measured at these sizes).
constexpr double kFp32Tolerance = 1e-4;
constexpr double kPerturbedMargin = 10 * kFp32Tolerance;

void make_vae_case(const std::filesystem::path& dir, const std::string& args) {
  const std::string cmd =
      python() + " " +
      quote(std::filesystem::path(REEL_SOURCE_DIR) / "tests" / "reference" / "make_vae_case.py") +
      " --out " + quote(dir) + " " + args;
  const auto r = reel::testing::run_command(cmd, true);
  ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
}

std::string tool_args(const TempDir& dir, const std::string& weights, const std::string& out,
                      const std::string& extra = "") {
  return "--vae-config " + quote(dir / "vae_config.json") + " --weights " + quote(dir / weights) +
         " --inputs " + quote(dir / "inputs.safetensors") + " --out " + quote(dir / out) +
         " --device cpu --dtype fp32" + extra;
}

// Compares reel's `name` output with the reference and with every perturbed.<side>.* one.
void expect_matches(const std::filesystem::path& expected_file, const Tensor& got,
                    const std::string& name, const std::string& side, std::size_t min_perturbed) {
  const Tensor want = load(expected_file, name);
  const double err = max_abs_diff(got, want);
  std::printf("[vae reference] %s: fp32 max abs err %.3g (|ref| max %.3g)\n", side.c_str(), err,
              max_abs(want));
  EXPECT_LE(err, kFp32Tolerance) << side;
  const auto perturbed = names_with_prefix(expected_file, "perturbed." + side + ".");
  EXPECT_GE(perturbed.size(), min_perturbed) << "the case lost its perturbed references";
  for (const auto& p : perturbed) {
    const double off = max_abs_diff(got, load(expected_file, p));
    std::printf("[vae reference]   vs %s: %.3g\n", p.c_str(), off);
    EXPECT_GT(off, kPerturbedMargin) << p << " would not be caught by the tolerance";
    EXPECT_GT(off, 10 * err) << p << ": reel is as near the perturbed reference as the true one";
  }
}

void expect_parity(const std::string& version, std::size_t enc_perturbed,
                   std::size_t dec_perturbed) {
  TempDir dir;
  make_vae_case(dir.path(), "--version " + version);
  if (::testing::Test::HasFatalFailure()) return;
  run_reel_neural("vae-encode", tool_args(dir, "weights.safetensors", "enc.safetensors"));
  run_reel_neural("vae-decode", tool_args(dir, "weights.safetensors", "dec.safetensors"));
  if (::testing::Test::HasFatalFailure()) return;
  const auto expected = dir / "expected.safetensors";
  expect_matches(expected, load(dir / "enc.safetensors", "latent"), "latent", "encode",
                 enc_perturbed);
  expect_matches(expected, load(dir / "dec.safetensors", "video"), "video", "decode",
                 dec_perturbed);
}

TEST(ReferenceVae, Wan21EncodeDecodeMatchReferenceFp32) {
  expect_parity("2.1", 5, 6);
}

TEST(ReferenceVae, Wan22EncodeDecodeMatchReferenceFp32) {
  expect_parity("2.2", 7, 9);
}

// bf16 weights and activations (the official code runs the VAE under bf16 autocast when asked):
// the fp32 reference's distance measured 0.025 max / 0.003 mean at this size.
TEST(ReferenceVae, Wan22Bf16DecodeWithinStatedTolerance) {
  TempDir dir;
  make_vae_case(dir.path(), "--version 2.2 --no-perturbed");
  if (::testing::Test::HasFatalFailure()) return;
  std::string args = tool_args(dir, "weights.safetensors", "bf16.safetensors");
  args.replace(args.find("--dtype fp32"), 12, "--dtype bf16");
  run_reel_neural("vae-decode", args);
  if (::testing::Test::HasFatalFailure()) return;
  const double err = max_abs_diff(load(dir / "bf16.safetensors", "video"),
                                  load(dir / "expected.safetensors", "video"));
  std::printf("[vae reference] 2.2 decode bf16: max abs err %.3g\n", err);
  EXPECT_LE(err, 0.1);
  EXPECT_GT(err, 10 * kFp32Tolerance) << "--dtype bf16 looks like fp32";
}

// The official checkpoints are PyTorch zip files (Wan2.1_VAE.pth): the same weights written by
// torch.save must give bit-identical results to the safetensors copy.
TEST(ReferenceVae, PthLoadEqualsSafetensorsLoad) {
  TempDir dir;
  make_vae_case(dir.path(), "--version 2.2 --pth --no-perturbed");
  if (::testing::Test::HasFatalFailure()) return;
  run_reel_neural("vae-decode", tool_args(dir, "weights.safetensors", "a.safetensors"));
  run_reel_neural("vae-decode", tool_args(dir, "Wan_VAE.pth", "b.safetensors"));
  run_reel_neural("vae-encode", tool_args(dir, "Wan_VAE.pth", "c.safetensors"));
  if (::testing::Test::HasFatalFailure()) return;
  const Tensor a = load(dir / "a.safetensors", "video");
  EXPECT_EQ(max_abs_diff(a, load(dir / "b.safetensors", "video")), 0.0);
  EXPECT_LE(max_abs_diff(load(dir / "c.safetensors", "latent"),
                         load(dir / "expected.safetensors", "latent")),
            kFp32Tolerance);
}

// Tiled decode: a tile that covers the frame gives the untiled result exactly; real tiles
// differ because each sees less context (the mid-block attention spans the whole tile). At this
// tiny random-weight size that is large: 32 px tiles (4 latent px) overlapping by 16 px measured
// a mean abs difference of 0.054 against a mean |pixel| of 0.14; the overlap blend must beat
// butted tiles (0.077 measured).
TEST(ReferenceVae, TiledDecodeStaysNearUntiled) {
  TempDir dir;
  make_vae_case(dir.path(), "--version 2.1 --size 64 --frames 5 --no-perturbed");
  if (::testing::Test::HasFatalFailure()) return;
  run_reel_neural("vae-decode", tool_args(dir, "weights.safetensors", "whole.safetensors"));
  run_reel_neural("vae-decode",
                  tool_args(dir, "weights.safetensors", "cover.safetensors", " --tile 64"));
  run_reel_neural("vae-decode", tool_args(dir, "weights.safetensors", "tiled.safetensors",
                                          " --tile 32 --overlap 16"));
  run_reel_neural("vae-decode", tool_args(dir, "weights.safetensors", "butted.safetensors",
                                          " --tile 32 --overlap 0"));
  if (::testing::Test::HasFatalFailure()) return;
  const Tensor whole = load(dir / "whole.safetensors", "video");
  EXPECT_EQ(max_abs_diff(whole, load(dir / "cover.safetensors", "video")), 0.0);
  auto mean_diff = [&](const Tensor& t) {
    double sum = 0.0;
    for (std::size_t i = 0; i < whole.values.size(); ++i) {
      sum += std::fabs(static_cast<double>(whole.values[i]) - t.values[i]);
    }
    return sum / static_cast<double>(whole.values.size());
  };
  const Tensor tiled = load(dir / "tiled.safetensors", "video");
  const Tensor butted = load(dir / "butted.safetensors", "video");
  ASSERT_EQ(tiled.shape, whole.shape);
  ASSERT_EQ(butted.shape, whole.shape);
  const double blended = mean_diff(tiled), plain = mean_diff(butted);
  std::printf("[vae reference] tiled vs whole, mean abs: overlap 16 px %.3g, none %.3g\n", blended,
              plain);
  EXPECT_GT(max_abs_diff(whole, tiled), 0.0) << "--tile 32 did not tile";
  EXPECT_LE(blended, 0.1);
  EXPECT_LT(blended, plain);
}

// Tiled encode, the same way (measured: overlap 16 px 0.066, butted 0.081, against a mean
// |latent| of 0.30).
TEST(ReferenceVae, TiledEncodeStaysNearUntiled) {
  TempDir dir;
  make_vae_case(dir.path(), "--version 2.1 --size 64 --frames 5 --no-perturbed");
  if (::testing::Test::HasFatalFailure()) return;
  const std::string w = "weights.safetensors";
  run_reel_neural("vae-encode", tool_args(dir, w, "whole.safetensors"));
  run_reel_neural("vae-encode", tool_args(dir, w, "cover.safetensors", " --tile 64"));
  run_reel_neural("vae-encode", tool_args(dir, w, "tiled.safetensors", " --tile 32 --overlap 16"));
  run_reel_neural("vae-encode", tool_args(dir, w, "butted.safetensors", " --tile 32 --overlap 0"));
  if (::testing::Test::HasFatalFailure()) return;
  const Tensor whole = load(dir / "whole.safetensors", "latent");
  EXPECT_EQ(max_abs_diff(whole, load(dir / "cover.safetensors", "latent")), 0.0);
  auto mean_diff = [&](const Tensor& t) {
    double sum = 0.0;
    for (std::size_t i = 0; i < whole.values.size(); ++i) {
      sum += std::fabs(static_cast<double>(whole.values[i]) - t.values[i]);
    }
    return sum / static_cast<double>(whole.values.size());
  };
  const Tensor tiled = load(dir / "tiled.safetensors", "latent");
  const Tensor butted = load(dir / "butted.safetensors", "latent");
  ASSERT_EQ(tiled.shape, whole.shape);
  const double blended = mean_diff(tiled), plain = mean_diff(butted);
  std::printf("[vae reference] tiled encode vs whole, mean abs: overlap 16 px %.3g, none %.3g\n",
              blended, plain);
  EXPECT_GT(max_abs_diff(whole, tiled), 0.0) << "--tile 32 did not tile";
  EXPECT_LE(blended, 0.12);
  EXPECT_LT(blended, plain);
}

}  // namespace
}  // namespace reel::neural::reference
