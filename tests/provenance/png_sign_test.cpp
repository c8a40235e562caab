// PNG signing: caBX after IHDR, c2pa.hash.data with the chunk excluded, verified by reel.
#include <gtest/gtest.h>

#include "prov_test_util.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel::provenance {
namespace {
using namespace reel::provenance::testing;

class PngSign : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = init_keys(dir_ / "keys");
    cfg_ = {keys_.key_pem, keys_.cert_chain_pem};
    file_ = dir_ / "still.png";
    original_ = make_png(40, 30);
    write_bytes(file_, original_);
  }
  reel::testing::TempDir dir_;
  KeyPaths keys_;
  SigningConfig cfg_;
  std::filesystem::path file_;
  Bytes original_;
};

TEST_F(PngSign, InsertsCaBXRightAfterIhdrAndKeepsTheImage) {
  sign_file(file_, sample_facts("still.png"), cfg_);
  const Bytes s = read_bytes(file_);
  ASSERT_GT(s.size(), original_.size());
  EXPECT_EQ(std::string(s.begin() + 37, s.begin() + 41), "caBX");
  const std::uint32_t len = (s[33] << 24) | (s[34] << 16) | (s[35] << 8) | s[36];
  ASSERT_EQ(s.size(), original_.size() + len + 12);
  // Removing the chunk gives back the original bytes exactly.
  Bytes without(s.begin(), s.begin() + 33);
  without.insert(without.end(), s.begin() + 33 + len + 12, s.end());
  EXPECT_EQ(without, original_);
}

TEST_F(PngSign, VerifiesAsValidAndTrustedWithTheTestRoot) {
  sign_file(file_, sample_facts("still.png"), cfg_);
  const VerifyResult untrusted = verify_file(file_);
  EXPECT_TRUE(untrusted.valid) << untrusted.text();
  EXPECT_FALSE(untrusted.trusted);
  EXPECT_TRUE(contains(untrusted.status_codes, "assertion.dataHash.match"));
  EXPECT_TRUE(contains(untrusted.status_codes, "claimSignature.validated"));
  EXPECT_TRUE(contains(untrusted.failures, "signingCredential.untrusted"));

  const VerifyResult trusted = verify_file(file_, {keys_.root_ca_pem});
  EXPECT_TRUE(trusted.valid);
  EXPECT_TRUE(trusted.trusted) << trusted.text();
  EXPECT_TRUE(trusted.failures.empty());
  // The summary carries the facts.
  EXPECT_EQ(trusted.summary["title"], "still.png");
  ASSERT_EQ(trusted.summary["models"].size(), 2u);
  EXPECT_EQ(trusted.summary["models"][0]["licence"], "Apache-2.0");
  EXPECT_EQ(trusted.summary["models"][0]["training_data"], "synthetic");
  EXPECT_EQ(trusted.summary["ingredients"].size(), 2u);
  EXPECT_EQ(trusted.summary["actions"][0]["action"], "c2pa.created");
  EXPECT_EQ(trusted.summary["actions"].back()["action"], "c2pa.placed");
  EXPECT_DOUBLE_EQ(trusted.summary["cost"]["total_usd"].get<double>(), 0.0012);
  const std::string text = trusted.text();
  EXPECT_NE(text.find("still.png: Trusted"), std::string::npos) << text;
  EXPECT_NE(text.find("studio-animator 1.0 (licence Apache-2.0, training data synthetic)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("AI-generated"), std::string::npos) << text;
  EXPECT_NE(text.find("training/mining: notAllowed"), std::string::npos) << text;
  EXPECT_NE(untrusted.text().find("note signingCredential.untrusted"), std::string::npos);
}

TEST_F(PngSign, ResigningReplacesTheManifest) {
  sign_file(file_, sample_facts("a.png"), cfg_);
  const std::size_t once = read_bytes(file_).size();
  sign_file(file_, sample_facts("a.png"), cfg_);
  const Bytes twice = read_bytes(file_);
  EXPECT_EQ(twice.size(), once);
  EXPECT_TRUE(verify_file(file_).valid);
}

TEST_F(PngSign, OneFlippedPixelByteIsADataHashMismatch) {
  sign_file(file_, sample_facts("still.png"), cfg_);
  Bytes s = read_bytes(file_);
  s[s.size() - 20] ^= 0x01;  // inside IDAT
  write_bytes(file_, s);
  const VerifyResult r = verify_file(file_);
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(contains(r.failures, "assertion.dataHash.mismatch")) << r.text();
  EXPECT_NE(r.text().find("INVALID"), std::string::npos);
  EXPECT_NE(r.text().find("FAIL assertion.dataHash.mismatch"), std::string::npos);
  EXPECT_FALSE(r.to_json()["valid"].get<bool>());
}

TEST_F(PngSign, SignsWithEd25519AndPs256Too) {
  for (const char* type : {"ed25519", "rsa"}) {
    const KeyPaths k = make_test_identity(dir_ / type, TestCertDefect::none, type);
    write_bytes(file_, original_);
    sign_file(file_, sample_facts("still.png"), {k.key_pem, k.cert_chain_pem});
    const VerifyResult r = verify_file(file_, {k.root_ca_pem});
    EXPECT_TRUE(r.trusted) << type << "\n" << r.text();
    EXPECT_EQ(r.summary["signature_alg"], std::string(type) == "rsa" ? "PS256" : "EdDSA");
  }
}

TEST_F(PngSign, CarriesASignedIngredientsManifest) {
  // A still that reel signed earlier keeps its own credentials inside the video's store.
  ManifestFacts still = sample_facts("character.png");
  still.ingredients.clear();
  const auto still_path = dir_ / "character.png";
  write_bytes(still_path, make_png(8, 8, 99));
  sign_file(still_path, still, cfg_);
  ManifestFacts f = sample_facts("out.png");
  f.ingredients[0].data = read_bytes(still_path);
  sign_file(file_, f, cfg_);
  const VerifyResult r = verify_file(file_, {keys_.root_ca_pem});
  EXPECT_TRUE(r.trusted) << r.text();
  EXPECT_EQ(r.summary["manifests_in_store"], 2);
  EXPECT_EQ(r.summary["ingredients"][0]["has_manifest"], true);
  EXPECT_EQ(r.summary["ingredients"][1]["has_manifest"], false);
}

TEST_F(PngSign, RefusesNonMediaAndBadSettings) {
  const auto txt = dir_ / "x.txt";
  write_bytes(txt, Bytes{'h', 'i', '!', '!', '!', '!', '!', '!', '!'});
  EXPECT_THROW(sign_file(txt, sample_facts("x"), cfg_), Error);
  ManifestFacts f = sample_facts("still.png");
  f.training_mining = "maybe";
  try {
    sign_file(file_, f, cfg_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("notAllowed"), std::string::npos);
  }
  EXPECT_EQ(read_bytes(file_), original_);  // untouched after a failed sign
}

}  // namespace
}  // namespace reel::provenance

namespace reel::provenance {
namespace {

TEST_F(PngSign, ChangedCarriedIngredientManifestIsDetected) {
  ManifestFacts still = sample_facts("character.png");
  still.ingredients.clear();
  const auto still_path = dir_ / "character.png";
  write_bytes(still_path, make_png(8, 8, 99));
  sign_file(still_path, still, cfg_);
  ManifestFacts f = sample_facts("out.png");
  f.ingredients[0].data = read_bytes(still_path);
  sign_file(file_, f, cfg_);
  ASSERT_TRUE(contains(verify_file(file_).status_codes, "ingredient.manifest.validated"));
  ASSERT_TRUE(contains(verify_file(file_).status_codes, "ingredient.claimSignature.validated"));

  // The carried manifest comes first in the store; change one byte of its model licence.
  Bytes s = read_bytes(file_);
  const std::uint32_t len = (s[33] << 24) | (s[34] << 16) | (s[35] << 8) | s[36];
  const std::string store(s.begin() + 41, s.begin() + 41 + len);
  const std::size_t at = store.find("Apache-2.0");
  ASSERT_NE(at, std::string::npos);
  s[41 + at] = 'a';
  std::uint32_t c = 0xFFFFFFFFu;  // chunk CRC over type + data
  for (std::size_t i = 37; i < 41 + len; ++i) {
    c ^= s[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  c = ~c;
  for (int i = 0; i < 4; ++i) s[41 + len + i] = static_cast<std::uint8_t>(c >> (24 - 8 * i));
  write_bytes(file_, s);
  const VerifyResult r = verify_file(file_);
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(contains(r.failures, "ingredient.manifest.mismatch")) << r.text();
  if (node_verifier_missing().empty()) {
    const NodeVerdict n = node_verify(file_, "image/png", keys_.root_ca_pem);
    EXPECT_EQ(n.state, "Invalid") << n.raw;
    EXPECT_TRUE(contains(n.ingredient_failure, "ingredient.manifest.mismatch")) << n.raw;
  }
}

}  // namespace
}  // namespace reel::provenance
