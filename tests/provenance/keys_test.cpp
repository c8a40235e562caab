#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "prov_test_util.hpp"
#include "support/test_dirs.hpp"

namespace reel::provenance {
namespace {
using namespace reel::provenance::testing;
namespace fs = std::filesystem;

TEST(Keys, InitWritesPrivateKeysOwnerOnly) {
  reel::testing::TempDir dir;
  const KeyPaths k = init_keys(dir / "keys");
  for (const auto& p : {k.key_pem, k.cert_chain_pem, k.root_ca_pem})
    ASSERT_TRUE(fs::exists(p)) << p;
  struct stat st {};
  ASSERT_EQ(::stat(k.key_pem.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((k.dir / "root_ca_key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Keys, InitKeepsExistingKeysUnlessForced) {
  reel::testing::TempDir dir;
  const KeyPaths a = init_keys(dir / "keys");
  const Bytes first = read_bytes(a.cert_chain_pem);
  init_keys(dir / "keys");
  EXPECT_EQ(read_bytes(a.cert_chain_pem), first);
  init_keys(dir / "keys", true);
  EXPECT_NE(read_bytes(a.cert_chain_pem), first);
}

TEST(Keys, CertificateCarriesTheC2paProfile) {
  if (!have_tool("openssl")) GTEST_SKIP() << "openssl CLI not installed";
  reel::testing::TempDir dir;
  const KeyPaths k = init_keys(dir / "keys");
  const auto r = reel::testing::run_command("openssl x509 -noout -text -in '" +
                                            k.cert_chain_pem.string() + "'");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("CA:FALSE"), std::string::npos);
  EXPECT_NE(r.output.find("X509v3 Authority Key Identifier"), std::string::npos);
  EXPECT_NE(r.output.find("X509v3 Key Usage: critical"), std::string::npos);
  EXPECT_NE(r.output.find("Digital Signature"), std::string::npos);
  EXPECT_NE(r.output.find("1.3.6.1.4.1.62558.2.1"), std::string::npos);
  EXPECT_NE(r.output.find("E-mail Protection"), std::string::npos);
  const auto v = reel::testing::run_command(
      "openssl verify -CAfile '" + k.root_ca_pem.string() + "' '" + k.cert_chain_pem.string() + "'",
      true);
  EXPECT_EQ(v.status, 0) << v.output;
}

TEST(Keys, DefaultKeysLiveUnderReelHome) {
  reel::testing::TempDir dir;
  const char* old = std::getenv("REEL_HOME");
  const std::string saved = old ? old : "";
  ::setenv("REEL_HOME", dir.path().c_str(), 1);
  const KeyPaths k = default_keys();
  if (old)
    ::setenv("REEL_HOME", saved.c_str(), 1);
  else
    ::unsetenv("REEL_HOME");
  EXPECT_EQ(k.dir, dir / "keys");
  EXPECT_TRUE(fs::exists(k.key_pem));
}

}  // namespace
}  // namespace reel::provenance
