// Same input and facts give the same manifest label and layout (only the ECDSA
// signature bytes, which are randomised, differ); default keys come from $REEL_HOME.
#include <gtest/gtest.h>

#include <cstdlib>

#include "prov_test_util.hpp"
#include "support/test_dirs.hpp"

namespace reel::provenance {
namespace {
using namespace reel::provenance::testing;

std::string manifest_label(const VerifyResult& r) {
  return r.summary.value("manifest", "");
}

TEST(Determinism, SameInputAndFactsGiveTheSameManifestLabelAndSize) {
  reel::testing::TempDir dir;
  const KeyPaths k = init_keys(dir / "keys");
  const Bytes png = make_png(20, 20);
  write_bytes(dir / "a.png", png);
  write_bytes(dir / "b.png", png);
  sign_file(dir / "a.png", sample_facts("x.png"), {k.key_pem, k.cert_chain_pem});
  sign_file(dir / "b.png", sample_facts("x.png"), {k.key_pem, k.cert_chain_pem});
  const VerifyResult a = verify_file(dir / "a.png"), b = verify_file(dir / "b.png");
  ASSERT_TRUE(a.valid && b.valid);
  EXPECT_EQ(manifest_label(a), manifest_label(b));
  EXPECT_EQ(read_bytes(dir / "a.png").size(), read_bytes(dir / "b.png").size());
  // Different facts (title) or different pixels give a different label.
  write_bytes(dir / "c.png", make_png(20, 20, 1));
  sign_file(dir / "c.png", sample_facts("x.png"), {k.key_pem, k.cert_chain_pem});
  EXPECT_NE(manifest_label(verify_file(dir / "c.png")), manifest_label(a));
  write_bytes(dir / "d.png", png);
  sign_file(dir / "d.png", sample_facts("y.png"), {k.key_pem, k.cert_chain_pem});
  EXPECT_NE(manifest_label(verify_file(dir / "d.png")), manifest_label(a));
}

TEST(Determinism, EmptySigningConfigUsesKeysUnderReelHome) {
  reel::testing::TempDir dir;
  const char* old = std::getenv("REEL_HOME");
  const std::string saved = old ? old : "";
  ::setenv("REEL_HOME", dir.path().c_str(), 1);
  write_bytes(dir / "a.png", make_png(8, 8));
  sign_file(dir / "a.png", sample_facts("a.png"));
  const VerifyResult r = verify_file(dir / "a.png", {dir / "keys" / "root_ca.pem"});
  if (old)
    ::setenv("REEL_HOME", saved.c_str(), 1);
  else
    ::unsetenv("REEL_HOME");
  EXPECT_TRUE(r.trusted) << r.text();
}

TEST(Determinism, ManifestWithoutModelsOrIngredientsStillValidates) {
  reel::testing::TempDir dir;
  const KeyPaths k = init_keys(dir / "keys");
  write_bytes(dir / "a.png", make_png(8, 8));
  ManifestFacts bare;
  bare.title = "a.png";
  sign_file(dir / "a.png", bare, {k.key_pem, k.cert_chain_pem});
  const VerifyResult r = verify_file(dir / "a.png", {k.root_ca_pem});
  EXPECT_TRUE(r.trusted) << r.text();
  EXPECT_EQ(r.summary["actions"][0]["softwareAgent"]["name"], "reel");
  if (node_verifier_missing().empty())
    EXPECT_EQ(node_verify(dir / "a.png", "image/png", k.root_ca_pem).state, "Trusted");
}

}  // namespace
}  // namespace reel::provenance
