// The pieces of WanPipeline that the end-to-end tests do not isolate: the seeded noise
// against Python's, quantisation, the i2v image preparation, and folders whose models
// do not fit together.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "neural/wan_folder.hpp"
#include "neural/wan_pipeline.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reference_case.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

namespace fs = std::filesystem;

TEST(WanPipelineParts, NoiseIsTorchRandnOfASeededCpuGenerator) {
  reel::testing::TempDir dir;
  const std::string code =
      "import sys, torch; sys.path.insert(0, sys.argv[1]); import safetensors_io as s; "
      "s.save(sys.argv[2], {'n': torch.randn((4, 2, 3, 5), "
      "generator=torch.Generator().manual_seed(987654321))})";
  const std::string cmd = reference::python() + " -c \"" + code + "\" " +
                          reference::quote(fs::path(REEL_SOURCE_DIR) / "tests" / "reference") +
                          " " + reference::quote(dir / "n.safetensors");
  const auto r = reel::testing::run_command(cmd, true);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto want = reference::load(dir / "n.safetensors", "n");
  const at::Tensor got = wan_noise(987654321, {4, 2, 3, 5});
  ASSERT_EQ(got.sizes().vec(), want.shape);
  for (std::int64_t i = 0; i < got.numel(); ++i)
    ASSERT_EQ(got.data_ptr<float>()[i], want.values[static_cast<std::size_t>(i)]) << i;
  EXPECT_FALSE(at::equal(got, wan_noise(987654322, {4, 2, 3, 5})));
  EXPECT_TRUE(at::equal(got, wan_noise(987654321, {4, 2, 3, 5})));
}

TEST(WanPipelineParts, FramesRoundAndClamp) {
  // [3, T=1, H=1, W=4]
  const at::Tensor video = torch::tensor({-2.0f, -1.0f, 0.0f, 1.5f, 0.002f, 0.006f, 1.0f, -0.999f,
                                          0.0f, 0.0f, 0.0f, 0.0f})
                               .reshape({3, 1, 1, 4});
  const at::Tensor frames = video_to_frames(video);  // [1, 1, 4, 3]
  ASSERT_EQ(frames.sizes().vec(), (std::vector<std::int64_t>{1, 1, 4, 3}));
  ASSERT_EQ(frames.scalar_type(), at::kByte);
  const auto* f = frames.data_ptr<std::uint8_t>();
  // R of the four pixels: clamp → 0, 0, 127.5 → 128 (half to even), 255.
  EXPECT_EQ(f[0], 0);
  EXPECT_EQ(f[3], 0);
  EXPECT_EQ(f[6], 128);
  EXPECT_EQ(f[9], 255);
  // G: 127.755 → 128, 128.265 → 128, 255, 0.1275 → 0.
  EXPECT_EQ(f[1], 128);
  EXPECT_EQ(f[4], 128);
  EXPECT_EQ(f[7], 255);
  EXPECT_EQ(f[10], 0);
}

TEST(WanPipelineParts, ImageIsScaledToCoverAndCentreCropped) {
  // 8×2: the left half red, the right half blue, a green column in the middle.
  media::Image image(8, 2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 8; ++x) {
      auto* p = image.u8_pixel(x, y);
      p[0] = x < 4 ? 255 : 0;
      p[2] = x < 4 ? 0 : 255;
      p[1] = 0;
      p[3] = 255;
    }
  const at::Tensor same = image_to_video_tensor(image, 8, 2);  // [1, 3, 1, 2, 8]
  ASSERT_EQ(same.sizes().vec(), (std::vector<std::int64_t>{1, 3, 1, 2, 8}));
  EXPECT_FLOAT_EQ(same[0][0][0][0][0].item<float>(), 1.0f);   // red 255 → 1
  EXPECT_FLOAT_EQ(same[0][2][0][0][0].item<float>(), -1.0f);  // blue 0 → -1
  EXPECT_FLOAT_EQ(same[0][2][0][1][7].item<float>(), 1.0f);

  // To 4×4: scaled ×2 to 16×4 (cover), then the middle 4 columns: two red, two blue.
  const at::Tensor square = image_to_video_tensor(image, 4, 4);
  ASSERT_EQ(square.sizes().vec(), (std::vector<std::int64_t>{1, 3, 1, 4, 4}));
  EXPECT_GT(square[0][0][0][2][0].item<float>(), 0.5f);  // left: red
  EXPECT_LT(square[0][2][0][2][0].item<float>(), -0.5f);
  EXPECT_LT(square[0][0][0][2][3].item<float>(), -0.5f);  // right: blue
  EXPECT_GT(square[0][2][0][2][3].item<float>(), 0.5f);
  EXPECT_GE(square.min().item<float>(), -1.0f);
  EXPECT_LE(square.max().item<float>(), 1.0f);
}

// config.json, vae_config.json and t5_config.json of a tiny t2v folder; `edit` breaks one.
void write_configs(const fs::path& dir, int text_dim, int out_dim, const std::string& vae_version) {
  fs::create_directories(dir / "google" / "umt5-xxl");
  const Json dit = {
      {"model_type", "t2v"}, {"dim", 64},          {"ffn_dim", 128}, {"freq_dim", 256},
      {"num_heads", 2},      {"num_layers", 2},    {"text_len", 16}, {"text_dim", text_dim},
      {"in_dim", out_dim},   {"out_dim", out_dim}, {"eps", 1e-6}};
  write_file_atomic(dir / "config.json", std::string_view(dit.dump()));
  const Json vae = {{"version", vae_version},
                    {"dim", 8},
                    {"decoder_dim", vae_version == "2.2" ? 16 : 8},
                    {"dim_mult", {1, 2, 4, 4}},
                    {"num_res_blocks", 2},
                    {"temporal_downsample", {false, true, true}},
                    {"z_dim", 4},
                    {"mean", {0.0, 0.0, 0.0, 0.0}},
                    {"std", {1.0, 1.0, 1.0, 1.0}}};
  write_file_atomic(dir / "vae_config.json", std::string_view(vae.dump()));
  const Json t5 = {{"vocab", 100},      {"dim", 32},           {"dim_attn", 32},
                   {"dim_ffn", 48},     {"num_heads", 4},      {"num_layers", 2},
                   {"num_buckets", 32}, {"max_distance", 128}, {"eps", 1e-6}};
  write_file_atomic(dir / "t5_config.json", std::string_view(t5.dump()));
  for (const char* f : {kWanDitWeights, "Wan2.1_VAE.pth", kWanT5Weights, kWanTokenizer})
    write_file_atomic(dir / f, std::string_view("x"));
}

std::string mismatch(int text_dim, int out_dim, const std::string& vae_version) {
  reel::testing::TempDir dir;
  write_configs(dir.path(), text_dim, out_dim, vae_version);
  try {
    load_wan_folder_configs(locate_wan_folder(dir.path()));
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad) << e.what();
    return e.what();
  }
  return "accepted";
}

TEST(WanPipelineParts, FolderModelsMustFitTogether) {
  EXPECT_EQ(mismatch(32, 4, "2.1"), "accepted");
  EXPECT_NE(mismatch(64, 4, "2.1").find("text_dim 64 != umT5 dim 32"), std::string::npos);
  EXPECT_NE(mismatch(32, 8, "2.1").find("out_dim 8 != VAE z_dim 4"), std::string::npos);
  EXPECT_NE(mismatch(32, 4, "2.2").find("Wan2.1 VAE"), std::string::npos);
}

}  // namespace
}  // namespace reel::neural
