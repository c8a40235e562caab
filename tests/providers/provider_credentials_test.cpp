// A provider that signs its outputs (C2PA): reel decodes and re-encodes the file, and its
// own manifest names the provider's file as the parent ingredient, carrying that file's
// manifest whole — read back by `reel verify` and by the independent Node verifier
// (c2pa-rs), for a still (PNG) and a clip (MP4), and again from the cache.
#include <gtest/gtest.h>

#include <fstream>

#include "reel/core/json.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/png.hpp"
#include "reel/provenance/provenance.hpp"
#include "support/provider_double.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;

constexpr const char* kKey = "fal-test-Secret-5f4e3d2c1b0a";

void fill(media::Image& img, int shift) {
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      std::uint8_t* p = img.u8_pixel(x, y);
      p[0] = static_cast<std::uint8_t>((x + shift) * 4);
      p[1] = static_cast<std::uint8_t>(y * 5);
      p[2] = 128;
      p[3] = 255;
    }
}

// A file as a signing provider would serve it: its own manifest, its own identity.
fs::path provider_signed(const testing::TempDir& dir, const std::string& name) {
  const fs::path file = dir / name;
  if (name.ends_with(".png")) {
    media::Image img(64, 48);
    fill(img, 0);
    media::write_png(file, img);
  } else {
    media::Video v;
    v.fps = {8, 1};
    for (int i = 0; i < 8; ++i) {
      media::Image f(64, 48);
      fill(f, i * 8);
      v.frames.push_back(std::move(f));
    }
    media::write_mp4(file, v, {});
  }
  provenance::ManifestFacts facts;
  facts.title = name;
  provenance::ModelUse use;
  use.step_id = "provider";
  use.card.id = "the-provider's-own-model";
  use.card.name = "a signing provider";
  use.card.version = "7";
  facts.models.push_back(use);
  const provenance::KeyPaths id =
      provenance::make_test_identity(dir / "provider-keys", provenance::TestCertDefect::none);
  provenance::SigningConfig cfg;
  cfg.key_pem = id.key_pem;
  cfg.cert_chain_pem = id.cert_chain_pem;
  provenance::sign_file(file, facts, cfg);
  return file;
}

// The label of the active manifest in a file reel can verify.
std::string active_label(const fs::path& file) {
  const provenance::VerifyResult r = provenance::verify_file(file);
  EXPECT_TRUE(r.valid) << r.text();
  return r.summary.value("manifest", std::string());
}

void expect_parent(const fs::path& out, const std::string& mime, const std::string& model,
                   const std::string& env) {
  // reel's own reading: valid, opened from the provider's file, which carries a manifest.
  testing::CommandResult v =
      testing::run_command(env + REEL_BINARY_DIR "/bin/reel verify --json " + out.string(), true);
  ASSERT_EQ(v.status, 0) << v.output;
  const Json j = Json::parse(v.output);
  const Json& s = j.contains("summary") ? j["summary"] : j;
  ASSERT_TRUE(s.contains("ingredients")) << v.output;
  ASSERT_GE(s["ingredients"].size(), 1u) << v.output;
  EXPECT_EQ(s["ingredients"][0]["relationship"], "parentOf") << v.output;
  EXPECT_EQ(s["ingredients"][0]["title"], model + " output") << v.output;
  EXPECT_TRUE(s["ingredients"][0]["has_manifest"].get<bool>()) << v.output;
  EXPECT_EQ(s["actions"][0]["action"], "c2pa.opened") << v.output;
  EXPECT_NE(v.output.find(model), std::string::npos) << v.output;

  // The independent verifier: valid, the parent ingredient's carried manifest intact.
  const fs::path node_dir = fs::path(REEL_SOURCE_DIR) / "tests/provenance/node";
  ASSERT_TRUE(fs::exists(node_dir / "node_modules/@contentauth/c2pa-wasm"))
      << "the Node C2PA verifier is not installed (scripts/setup runs npm ci)";
  testing::CommandResult node = testing::run_command("node " + (node_dir / "verify.mjs").string() +
                                                     " " + out.string() + " " + mime);
  const Json n = Json::parse(node.output);
  EXPECT_EQ(n["state"], "Valid") << node.output;
  // Both signers are local test identities, untrusted by the verifier; nothing else fails.
  for (const auto& list : {n["failure"], n["ingredient_failure"]})
    for (const auto& code : list) EXPECT_EQ(code, "signingCredential.untrusted") << node.output;
  const Json& ings = n["active_manifest"]["ingredients"];
  ASSERT_GE(ings.size(), 1u) << node.output;
  EXPECT_EQ(ings[0]["relationship"], "parentOf") << node.output;
  EXPECT_TRUE(ings[0].contains("active_manifest")) << node.output;
  EXPECT_NE(node.output.find("c2pa.opened"), std::string::npos) << node.output;
}

TEST(ProviderCredentials, ASignedProviderFileIsKeptAsTheParentIngredientOfStillsAndClips) {
  testing::TempDir dir;
  testing::DoubleProcess fal("fal", kKey);
  const std::string env = "REEL_HOME=" + (dir / "home").string() + " FAL_KEY=" + kKey +
                          " REEL_FAL_BASE_URL=" + fal.base_url() + " REEL_PROVIDER_POLL_MS=20 ";

  // A still: the provider's PNG carries its own manifest.
  const fs::path png = provider_signed(dir, "provider.png");
  const std::string provider_label = active_label(png);
  fal.configure({{"polls_before_done", 0}, {"result", "png"}, {"result_path", png.string()}});
  std::ofstream(dir / "still.yaml") << "reel: 1\nname: signed_still\nseed: 5\noutput: still\n"
                                       "steps:\n  - id: still\n    task: text_to_image\n"
                                       "    model: fal:fal-ai/flux/dev\n    params:\n"
                                       "      prompt: \"product shot of a ceramic mug\"\n"
                                       "      width: 64\n      height: 48\n";
  const std::string run_still =
      env + REEL_BINARY_DIR "/bin/reel run " + (dir / "still.yaml").string() + " --out ";
  testing::CommandResult r = testing::run_command(run_still + (dir / "still.png").string(), true);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("carried its own Content Credentials"), std::string::npos) << r.output;
  expect_parent(dir / "still.png", "image/png", "fal:fal-ai/flux/dev", env);
  // The carried manifest is the provider's, byte for byte: its label is in reel's store.
  EXPECT_NE(
      testing::run_command(
          env + REEL_BINARY_DIR "/bin/reel verify --json " + (dir / "still.png").string(), true)
          .output.find(provider_label),
      std::string::npos)
      << provider_label;

  // Again from the cache (no request): the credentials were stored with the artifact.
  const int downloads = fal.count("download");
  r = testing::run_command(run_still + (dir / "again.png").string(), true);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(fal.count("download"), downloads);
  expect_parent(dir / "again.png", "image/png", "fal:fal-ai/flux/dev", env);

  // A clip: a studio still animated by a provider whose MP4 carries its own manifest.
  const fs::path mp4 = provider_signed(dir, "provider.mp4");
  fal.configure({{"result", "mp4"}, {"result_path", mp4.string()}});
  std::ofstream(dir / "clip.yaml")
      << "reel: 1\nname: signed_clip\nseed: 5\noutput: film\nsteps:\n"
         "  - id: character\n    task: text_to_image\n    model: studio-character\n"
         "    params:\n      prompt: \"astronaut\"\n      width: 64\n      height: 48\n"
         "  - id: film\n    task: image_to_video\n"
         "    model: fal:fal-ai/kling-video/v2.1/standard/image-to-video\n"
         "    inputs:\n      image: character\n"
         "    params:\n      motion: \"slow pan\"\n      duration: 5\n";
  r = testing::run_command(env + REEL_BINARY_DIR "/bin/reel run " + (dir / "clip.yaml").string() +
                               " --out " + (dir / "clip.mp4").string(),
                           true);
  ASSERT_EQ(r.status, 0) << r.output;
  expect_parent(dir / "clip.mp4", "video/mp4",
                "fal:fal-ai/kling-video/v2.1/standard/image-to-video", env);
}

// An unsigned provider file: no parent ingredient, the model creates the output.
TEST(ProviderCredentials, AnUnsignedProviderFileGivesNoParent) {
  testing::TempDir dir;
  testing::DoubleProcess fal("fal", kKey);
  fal.configure({{"polls_before_done", 0}});
  const std::string env = "REEL_HOME=" + (dir / "home").string() + " FAL_KEY=" + kKey +
                          " REEL_FAL_BASE_URL=" + fal.base_url() + " REEL_PROVIDER_POLL_MS=20 ";
  std::ofstream(dir / "still.yaml") << "reel: 1\nname: plain_still\nseed: 5\noutput: still\n"
                                       "steps:\n  - id: still\n    task: text_to_image\n"
                                       "    model: fal:fal-ai/flux/dev\n    params:\n"
                                       "      prompt: \"a mug\"\n      width: 64\n"
                                       "      height: 48\n";
  testing::CommandResult r =
      testing::run_command(env + REEL_BINARY_DIR "/bin/reel run " + (dir / "still.yaml").string() +
                               " --out " + (dir / "still.png").string(),
                           true);
  ASSERT_EQ(r.status, 0) << r.output;
  const provenance::VerifyResult v = provenance::verify_file(dir / "still.png");
  EXPECT_TRUE(v.valid) << v.text();
  EXPECT_TRUE(v.summary["ingredients"].empty()) << v.summary.dump();
  EXPECT_EQ(v.summary["actions"][0]["action"], "c2pa.created") << v.summary.dump();
}

}  // namespace
}  // namespace reel
