// The Done-when check of issue 6: an independent implementation (c2pa-rs 0.91 compiled
// to WebAssembly, npm @contentauth/c2pa-wasm) validates reel's outputs.
#include <gtest/gtest.h>

#include "prov_test_util.hpp"
#include "support/test_dirs.hpp"

namespace reel::provenance {
namespace {
using namespace reel::provenance::testing;
namespace fs = std::filesystem;

class NodeVerifier : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = node_verifier_missing(); !why.empty())
      GTEST_SKIP() << "independent C2PA verifier unavailable: " << why;
    keys_ = init_keys(dir_ / "keys");
  }
  // Signs `file` and checks: reel and c2pa-rs both say Valid without anchors (failing
  // only signingCredential.untrusted) and Trusted with reel's test root.
  void expect_valid_and_trusted(const fs::path& file, const std::string& mime,
                                const std::string& hash_code) {
    sign_file(file, sample_facts(file.filename().string()), {keys_.key_pem, keys_.cert_chain_pem});
    const NodeVerdict plain = node_verify(file, mime);
    EXPECT_EQ(plain.state, "Valid") << plain.raw;
    EXPECT_EQ(plain.failure, std::vector<std::string>{"signingCredential.untrusted"}) << plain.raw;
    EXPECT_TRUE(contains(plain.success, hash_code)) << plain.raw;
    EXPECT_TRUE(contains(plain.success, "claimSignature.validated")) << plain.raw;
    const NodeVerdict anchored = node_verify(file, mime, keys_.root_ca_pem);
    EXPECT_EQ(anchored.state, "Trusted") << anchored.raw;
    EXPECT_TRUE(anchored.failure.empty()) << anchored.raw;
    EXPECT_TRUE(contains(anchored.success, "signingCredential.trusted")) << anchored.raw;
    // reel's own verifier agrees.
    const VerifyResult r = verify_file(file);
    EXPECT_TRUE(r.valid && !r.trusted) << r.text();
    EXPECT_TRUE(verify_file(file, {keys_.root_ca_pem}).trusted);
  }
  reel::testing::TempDir dir_;
  KeyPaths keys_;
};

TEST_F(NodeVerifier, SignedPngIsValidAndTrusted) {
  write_bytes(dir_ / "still.png", make_png(64, 48));
  expect_valid_and_trusted(dir_ / "still.png", "image/png", "assertion.dataHash.match");
}

TEST_F(NodeVerifier, SignedMp4IsValidAndTrusted) {
  if (!make_mp4(dir_ / "clip.mp4", false)) GTEST_SKIP() << "ffmpeg CLI with libx264 not available";
  expect_valid_and_trusted(dir_ / "clip.mp4", "video/mp4", "assertion.bmffHash.match");
}

TEST_F(NodeVerifier, SignedFaststartMp4IsValidAndTrusted) {
  if (!make_mp4(dir_ / "fast.mp4", true)) GTEST_SKIP() << "ffmpeg CLI with libx264 not available";
  expect_valid_and_trusted(dir_ / "fast.mp4", "video/mp4", "assertion.bmffHash.match");
}

TEST_F(NodeVerifier, FlippedMdatByteIsABmffHashMismatchForBoth) {
  if (!make_mp4(dir_ / "clip.mp4", false)) GTEST_SKIP() << "ffmpeg CLI with libx264 not available";
  sign_file(dir_ / "clip.mp4", sample_facts("clip.mp4"), {keys_.key_pem, keys_.cert_chain_pem});
  Bytes f = read_bytes(dir_ / "clip.mp4");
  f[*find_box(f, "mdat") + 64] ^= 0x80;
  write_bytes(dir_ / "clip.mp4", f);
  const NodeVerdict n = node_verify(dir_ / "clip.mp4", "video/mp4", keys_.root_ca_pem);
  EXPECT_EQ(n.state, "Invalid") << n.raw;
  EXPECT_TRUE(contains(n.failure, "assertion.bmffHash.mismatch")) << n.raw;
  const VerifyResult r = verify_file(dir_ / "clip.mp4", {keys_.root_ca_pem});
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(contains(r.failures, "assertion.bmffHash.mismatch"));
}

TEST_F(NodeVerifier, IngredientWithItsOwnManifestStaysValid) {
  write_bytes(dir_ / "character.png", make_png(8, 8, 77));
  ManifestFacts still = sample_facts("character.png");
  still.ingredients.clear();
  sign_file(dir_ / "character.png", still, {keys_.key_pem, keys_.cert_chain_pem});
  ManifestFacts f = sample_facts("out.png");
  f.ingredients[0].data = read_bytes(dir_ / "character.png");
  write_bytes(dir_ / "out.png", make_png(32, 32));
  sign_file(dir_ / "out.png", f, {keys_.key_pem, keys_.cert_chain_pem});
  const NodeVerdict n = node_verify(dir_ / "out.png", "image/png", keys_.root_ca_pem);
  EXPECT_EQ(n.state, "Trusted") << n.raw;
}

}  // namespace
}  // namespace reel::provenance
