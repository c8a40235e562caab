// reel's verifier against damaged or wrongly signed files, and the independent c2pa-rs
// verifier (tests/provenance/node) on the same files: both must call each one invalid
// (and the good ones Valid / Trusted).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "prov_test_util.hpp"
#include "support/test_dirs.hpp"

namespace reel::provenance {
namespace {
using namespace reel::provenance::testing;
namespace fs = std::filesystem;

std::uint32_t be32_at(const Bytes& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
void set_be32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
std::uint32_t png_crc(const Bytes& d, std::size_t from, std::size_t to) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = from; i < to; ++i) {
    c ^= d[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}
// Offset of the manifest store (JUMBF) inside a signed PNG: caBX data at 41.
constexpr std::size_t kPngStore = 41;

class Tamper : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new reel::testing::TempDir();
    keys_ = init_keys(dir() / "keys");
    write_bytes(dir() / "base.png", make_png(48, 32));
  }
  static void TearDownTestSuite() { delete dir_; }
  static const fs::path& dir() { return dir_->path(); }

  // A freshly signed copy of base.png named `name`.
  fs::path signed_png(const std::string& name, const SigningConfig& cfg) {
    const fs::path p = dir() / name;
    fs::copy_file(dir() / "base.png", p, fs::copy_options::overwrite_existing);
    sign_file(p, sample_facts(name), cfg);
    return p;
  }
  SigningConfig good() const { return {keys_.key_pem, keys_.cert_chain_pem}; }

  // reel and (when installed) c2pa-rs both reject the file; reel names `code`.
  void expect_invalid(const fs::path& file, const std::string& mime, const std::string& code,
                      const std::string& node_code = "") {
    const VerifyResult r = verify_file(file, {keys_.root_ca_pem});
    EXPECT_FALSE(r.valid) << file.filename() << "\n" << r.text();
    EXPECT_FALSE(r.trusted);
    EXPECT_TRUE(contains(r.failures, code)) << "expected " << code << "\n" << r.text();
    if (!node_verifier_missing().empty()) return;
    const NodeVerdict n = node_verify(file, mime, keys_.root_ca_pem);
    if (std::getenv("REEL_PROVENANCE_VERBOSE"))
      std::cerr << file.filename() << ": reel " << r.to_json()["failures"].dump() << "; c2pa-rs "
                << n.raw;
    EXPECT_NE(n.state, "Valid") << n.raw;
    EXPECT_NE(n.state, "Trusted") << n.raw;
    if (!node_code.empty()) EXPECT_TRUE(contains(n.failure, node_code)) << n.raw;
    // Where c2pa-rs reads the manifest at all, it reports the same failure codes.
    if (n.state != "Error") {
      std::vector<std::string> theirs = n.failure, ours = r.failures;
      std::sort(theirs.begin(), theirs.end());
      std::sort(ours.begin(), ours.end());
      EXPECT_EQ(ours, theirs) << n.raw;
    }
  }

  static reel::testing::TempDir* dir_;
  static KeyPaths keys_;
};
reel::testing::TempDir* Tamper::dir_ = nullptr;
KeyPaths Tamper::keys_;

TEST_F(Tamper, TruncatedManifest) {
  Bytes f = read_bytes(signed_png("truncated.png", good()));
  const std::uint32_t len = be32_at(f, 33);
  const std::uint32_t cut = len / 2;
  // Keep the first half of the store as the chunk's data, with a correct CRC, so only
  // the JUMBF is damaged.
  Bytes t(f.begin(), f.begin() + kPngStore + cut);
  set_be32(t, 33, cut);
  const std::uint32_t crc = png_crc(t, 37, t.size());
  for (int s = 24; s >= 0; s -= 8) t.push_back(static_cast<std::uint8_t>(crc >> s));
  t.insert(t.end(), f.begin() + kPngStore + len + 4, f.end());
  write_bytes(dir() / "truncated.png", t);
  expect_invalid(dir() / "truncated.png", "image/png", "claim.malformed");
}

TEST_F(Tamper, CaCertificateAsSigner) {
  const KeyPaths ca = make_test_identity(dir() / "ca-signer", TestCertDefect::ca_as_signer);
  const fs::path p = signed_png("ca_signer.png", {ca.key_pem, ca.cert_chain_pem});
  expect_invalid(p, "image/png", "signingCredential.invalid", "signingCredential.invalid");
}

TEST_F(Tamper, SignerWithoutExtendedKeyUsage) {
  const KeyPaths k = make_test_identity(dir() / "no-eku", TestCertDefect::no_eku);
  const fs::path p = signed_png("no_eku.png", {k.key_pem, k.cert_chain_pem});
  expect_invalid(p, "image/png", "signingCredential.invalid", "signingCredential.invalid");
}

TEST_F(Tamper, SignerWithoutAuthorityKeyIdentifier) {
  const KeyPaths k = make_test_identity(dir() / "no-aki", TestCertDefect::no_aki);
  const fs::path p = signed_png("no_aki.png", {k.key_pem, k.cert_chain_pem});
  expect_invalid(p, "image/png", "signingCredential.invalid", "signingCredential.invalid");
}

TEST_F(Tamper, DerEncodedEcdsaSignature) {
  SigningConfig cfg = good();
  cfg.ecdsa_der_for_testing = true;
  const fs::path p = signed_png("der.png", cfg);
  expect_invalid(p, "image/png", "claimSignature.mismatch", "claimSignature.mismatch");
  EXPECT_TRUE(contains(verify_file(p).failures, "signingCredential.invalid"));
}

TEST_F(Tamper, OversizedOuterJumbfBox) {
  Bytes f = read_bytes(signed_png("oversized.png", good()));
  set_be32(f, kPngStore, 0x7FFFFFF0u);  // the store claims ~2 GiB inside a small chunk
  const std::uint32_t len = be32_at(f, 33);
  set_be32(f, kPngStore + len, png_crc(f, 37, kPngStore + len));
  write_bytes(dir() / "oversized.png", f);
  // reel is strict here; c2pa-rs 0.91 clamps the outer size to the chunk and still
  // reports Trusted (no hash covers that field), so only reel's verdict is checked.
  const VerifyResult r = verify_file(dir() / "oversized.png", {keys_.root_ca_pem});
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(contains(r.failures, "claim.malformed")) << r.text();
}

TEST_F(Tamper, OversizedClaimBox) {
  Bytes f = read_bytes(signed_png("oversized_claim.png", good()));
  const std::uint32_t len = be32_at(f, 33);
  const std::string store(f.begin() + kPngStore, f.begin() + kPngStore + len);
  const std::size_t label = store.find("c2pa.claim.v2");
  ASSERT_NE(label, std::string::npos);
  // jumb header (8) + jumd header (8) + type UUID (16) + toggles (1) precede the label.
  set_be32(f, kPngStore + label - 33, 0x7FFFFFF0u);
  set_be32(f, kPngStore + len, png_crc(f, 37, kPngStore + len));
  write_bytes(dir() / "oversized_claim.png", f);
  expect_invalid(dir() / "oversized_claim.png", "image/png", "claim.malformed");
}

TEST_F(Tamper, MalformedJumbfDescription) {
  Bytes f = read_bytes(signed_png("malformed.png", good()));
  f[kPngStore + 12] = 'X';  // 'jumd' -> 'Xumd'
  const std::uint32_t len = be32_at(f, 33);
  set_be32(f, kPngStore + len, png_crc(f, 37, kPngStore + len));
  write_bytes(dir() / "malformed.png", f);
  expect_invalid(dir() / "malformed.png", "image/png", "claim.malformed");
}

TEST_F(Tamper, FlippedClaimByteBreaksTheSignature) {
  Bytes f = read_bytes(signed_png("claim.png", good()));
  const std::uint32_t len = be32_at(f, 33);
  const std::string store(f.begin() + kPngStore, f.begin() + kPngStore + len);
  const std::size_t at = store.find("xmp:iid:");  // inside the claim CBOR
  ASSERT_NE(at, std::string::npos);
  f[kPngStore + at + 9] ^= 0x01;
  set_be32(f, kPngStore + len, png_crc(f, 37, kPngStore + len));
  write_bytes(dir() / "claim.png", f);
  expect_invalid(dir() / "claim.png", "image/png", "claimSignature.mismatch");
}

TEST_F(Tamper, FlippedAssertionByteIsAHashedUriMismatch) {
  Bytes f = read_bytes(signed_png("assertion.png", good()));
  const std::uint32_t len = be32_at(f, 33);
  const std::string store(f.begin() + kPngStore, f.begin() + kPngStore + len);
  const std::size_t at = store.find("Apache-2.0");  // inside org.reel.models
  ASSERT_NE(at, std::string::npos);
  f[kPngStore + at] = 'a';
  set_be32(f, kPngStore + len, png_crc(f, 37, kPngStore + len));
  write_bytes(dir() / "assertion.png", f);
  expect_invalid(dir() / "assertion.png", "image/png", "assertion.hashedURI.mismatch");
}

TEST_F(Tamper, UnsignedAndNonMediaFilesAreReportedNotThrown) {
  const VerifyResult plain = verify_file(dir() / "base.png");
  EXPECT_FALSE(plain.valid);
  EXPECT_TRUE(contains(plain.failures, "claim.missing"));
  write_bytes(dir() / "junk.bin", Bytes(100, 0x42));
  const VerifyResult junk = verify_file(dir() / "junk.bin");
  EXPECT_FALSE(junk.valid);
  EXPECT_TRUE(contains(junk.failures, "general.error"));
}

TEST_F(Tamper, EveryTruncationOfASignedFileIsHandled) {
  // No prefix of a signed file may crash the verifier or be called valid.
  const Bytes f = read_bytes(signed_png("prefix.png", good()));
  const std::uint32_t len = be32_at(f, 33);
  for (std::size_t n = 0; n < f.size(); n += (n < kPngStore + len ? 7 : 97)) {
    const VerifyResult r =
        verify_bytes(Bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_FALSE(r.valid) << n;
  }
}

}  // namespace
}  // namespace reel::provenance

namespace reel::provenance {
namespace {

TEST(TamperMutation, RandomByteChangesNeverEscapeTheVerifier) {
  // A fixed-seed LCG (not std:: distributions, which differ between libraries) picks
  // bytes inside the manifest store; each mutant must yield a result, never a throw,
  // and a mutation inside the signed claim must never be accepted.
  reel::testing::TempDir dir;
  const KeyPaths k = init_keys(dir / "keys");
  write_bytes(dir / "m.png", make_png(24, 24));
  sign_file(dir / "m.png", sample_facts("m.png"), {k.key_pem, k.cert_chain_pem});
  const Bytes f = read_bytes(dir / "m.png");
  const std::uint32_t len = be32_at(f, 33);
  const std::string store(f.begin() + kPngStore, f.begin() + kPngStore + len);
  const std::size_t claim = kPngStore + store.find("c2pa.claim.v2") - 33;  // its jumb box
  const std::size_t claim_end = claim + be32_at(f, claim);
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  int accepted = 0;
  for (int i = 0; i < 400; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const std::size_t at = kPngStore + (state >> 33) % len;
    Bytes m = f;
    m[at] ^= static_cast<std::uint8_t>(1u << ((state >> 20) % 8));
    set_be32(m, kPngStore + len, png_crc(m, 37, kPngStore + len));  // keep the chunk intact
    VerifyResult r;
    ASSERT_NO_THROW(r = verify_bytes(m)) << "mutation at " << at;
    if (!r.valid) continue;
    ++accepted;
    EXPECT_FALSE(at >= claim && at < claim_end)
        << "a changed claim byte at " << at << " was accepted";
  }
  // Only bytes no hash covers (mostly the COSE padding) may pass.
  EXPECT_LT(accepted, 200);
}

}  // namespace
}  // namespace reel::provenance
