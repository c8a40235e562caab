// locate_wan_folder: which file holds what, and a missing file named by its exact path.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/wan_folder.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& p, std::string_view text = "x") {
  fs::create_directories(p.parent_path());
  write_file_atomic(p, text);
}

// A folder in the official layout (file contents are not read by locate_wan_folder,
// except config.json's model_type).
void make_folder(const fs::path& dir, const std::string& model_type, const std::string& vae) {
  touch(dir / "config.json",
        R"({"_class_name": "WanModel", "model_type": ")" + model_type + R"(", "dim": 1536})");
  touch(dir / kWanDitWeights);
  touch(dir / vae);
  touch(dir / kWanT5Weights);
  touch(dir / kWanTokenizer);
}

// The NotFound message for `folder` with `file` removed.
std::string missing_message(const fs::path& folder, const fs::path& removed) {
  fs::remove(removed);
  try {
    locate_wan_folder(folder);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted a folder without " << removed;
  return {};
}

TEST(WanFolder, Wan21T2VLayout) {
  reel::testing::TempDir dir;
  make_folder(dir.path(), "t2v", "Wan2.1_VAE.pth");
  const auto f = locate_wan_folder(dir.path());
  EXPECT_EQ(f.model_type, "t2v");
  EXPECT_EQ(f.vae_version, "2.1");
  EXPECT_EQ(f.config, dir / "config.json");
  EXPECT_EQ(f.dit_weights, dir / "diffusion_pytorch_model.safetensors");
  EXPECT_EQ(f.vae_weights, dir / "Wan2.1_VAE.pth");
  EXPECT_EQ(f.t5_weights, dir / "models_t5_umt5-xxl-enc-bf16.pth");
  EXPECT_EQ(f.tokenizer, dir.path() / "google" / "umt5-xxl" / "spiece.model");
  EXPECT_FALSE(f.vae_config.has_value());
  EXPECT_FALSE(f.t5_config.has_value());
}

TEST(WanFolder, Wan22TI2VLayoutShardedAndConverted) {
  reel::testing::TempDir dir;
  make_folder(dir.path(), "ti2v", "Wan2.2_VAE.safetensors");
  fs::remove(dir / kWanDitWeights);
  touch(dir / kWanDitIndex, "{}");
  touch(dir / "vae_config.json", "{}");
  touch(dir / "t5_config.json", "{}");
  const auto f = locate_wan_folder(dir.path());
  EXPECT_EQ(f.vae_version, "2.2");
  EXPECT_EQ(f.dit_weights, dir / kWanDitIndex);
  EXPECT_EQ(f.vae_weights, dir / "Wan2.2_VAE.safetensors");
  EXPECT_EQ(f.vae_config, dir / "vae_config.json");
  EXPECT_EQ(f.t5_config, dir / "t5_config.json");
}

TEST(WanFolder, MissingFilesAreNamedByTheirExactPath) {
  reel::testing::TempDir dir;
  const fs::path d = dir.path();
  make_folder(d, "ti2v", "Wan2.2_VAE.pth");
  // A ti2v folder with only the 2.1 VAE is still missing its 2.2 VAE.
  touch(d / "Wan2.1_VAE.pth");
  std::string m = missing_message(d, d / "Wan2.2_VAE.pth");
  EXPECT_NE(m.find((d / "Wan2.2_VAE.pth").string()), std::string::npos) << m;
  EXPECT_NE(m.find("Wan2.2 VAE"), std::string::npos) << m;
  touch(d / "Wan2.2_VAE.pth");

  m = missing_message(d, d / kWanTokenizer);
  EXPECT_NE(m.find((d / "google/umt5-xxl/spiece.model").string()), std::string::npos) << m;
  EXPECT_NE(m.find("tokenizer"), std::string::npos) << m;
  touch(d / kWanTokenizer);

  m = missing_message(d, d / kWanT5Weights);
  EXPECT_NE(m.find((d / "models_t5_umt5-xxl-enc-bf16.pth").string()), std::string::npos) << m;
  touch(d / kWanT5Weights);

  m = missing_message(d, d / kWanDitWeights);
  EXPECT_NE(m.find((d / kWanDitWeights).string()), std::string::npos) << m;
  EXPECT_NE(m.find((d / kWanDitIndex).string()), std::string::npos) << m;
  touch(d / kWanDitWeights);

  m = missing_message(d, d / "config.json");
  EXPECT_NE(m.find((d / "config.json").string()), std::string::npos) << m;

  m = missing_message(d / "absent", d / "absent");
  EXPECT_NE(m.find((d / "absent").string()), std::string::npos) << m;
}

TEST(WanFolder, RefusesAnUnknownModelType) {
  reel::testing::TempDir dir;
  make_folder(dir.path(), "flf2v", "Wan2.1_VAE.pth");
  try {
    locate_wan_folder(dir.path());
    FAIL() << "accepted model_type flf2v";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("t2v, i2v, ti2v"), std::string::npos) << e.what();
  }
  touch(dir / "config.json", "[1, 2]");
  EXPECT_THROW(locate_wan_folder(dir.path()), Error);
}

}  // namespace
}  // namespace reel::neural
