#include "provenance/cose.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "reel/core/error.hpp"
#include "reel/provenance/cbor.hpp"

namespace reel::provenance {

std::string to_string(CoseAlg alg) {
  switch (alg) {
    case CoseAlg::ES256:
      return "ES256";
    case CoseAlg::ES384:
      return "ES384";
    case CoseAlg::ES512:
      return "ES512";
    case CoseAlg::PS256:
      return "PS256";
    case CoseAlg::PS384:
      return "PS384";
    case CoseAlg::PS512:
      return "PS512";
    case CoseAlg::EdDSA:
      return "EdDSA";
  }
  return "unknown";
}

namespace {

const EVP_MD* digest_for(CoseAlg alg) {
  switch (alg) {
    case CoseAlg::ES256:
    case CoseAlg::PS256:
      return EVP_sha256();
    case CoseAlg::ES384:
    case CoseAlg::PS384:
      return EVP_sha384();
    case CoseAlg::ES512:
    case CoseAlg::PS512:
      return EVP_sha512();
    case CoseAlg::EdDSA:
      return nullptr;  // Ed25519 hashes internally
  }
  return nullptr;
}

bool is_ecdsa(CoseAlg a) {
  return a == CoseAlg::ES256 || a == CoseAlg::ES384 || a == CoseAlg::ES512;
}
bool is_pss(CoseAlg a) {
  return a == CoseAlg::PS256 || a == CoseAlg::PS384 || a == CoseAlg::PS512;
}

// Bytes of one coordinate for the key's curve (32 for P-256).
std::size_t ec_coord_size(EVP_PKEY* key) {
  return static_cast<std::size_t>((EVP_PKEY_get_bits(key) + 7) / 8);
}

CoseAlg alg_for_key(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
      return CoseAlg::EdDSA;
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      if (EVP_PKEY_get_bits(key) < 2048)
        throw Error(ErrorKind::InvalidInput,
                    "RSA signing keys must have at least 2048 bits (C2PA §13.2.1)");
      return CoseAlg::PS256;
    case EVP_PKEY_EC: {
      const int bits = EVP_PKEY_get_bits(key);
      if (bits == 256) return CoseAlg::ES256;
      if (bits == 384) return CoseAlg::ES384;
      if (bits == 521) return CoseAlg::ES512;
      break;
    }
  }
  throw Error(
      ErrorKind::InvalidInput,
      "unsupported signing key type; allowed: EC P-256/P-384/P-521, RSA >= 2048 bits, Ed25519");
}

void set_pss(EVP_PKEY_CTX* pctx) {
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
    throw Error(ErrorKind::Internal, "cannot configure RSA-PSS: " + openssl_error());
}

Bytes der_to_raw(const Bytes& der, std::size_t coord) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) throw Error(ErrorKind::Internal, "cannot parse ECDSA signature: " + openssl_error());
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  Bytes raw(2 * coord);
  const bool ok = BN_bn2binpad(r, raw.data(), static_cast<int>(coord)) > 0 &&
                  BN_bn2binpad(s, raw.data() + coord, static_cast<int>(coord)) > 0;
  ECDSA_SIG_free(sig);
  if (!ok) throw Error(ErrorKind::Internal, "ECDSA signature does not fit the curve size");
  return raw;
}

Bytes raw_to_der(const Bytes& raw) {
  const std::size_t coord = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(coord), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + coord, static_cast<int>(coord), nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* buf = nullptr;
  const int n = i2d_ECDSA_SIG(sig, &buf);
  Bytes out;
  if (n > 0) out.assign(buf, buf + n);
  OPENSSL_free(buf);
  ECDSA_SIG_free(sig);
  return out;
}

Bytes sig_structure(std::span<const std::uint8_t> protected_bytes,
                    std::span<const std::uint8_t> claim) {
  return cbor_encode(Cbor::array(
      {Cbor("Signature1"), Cbor::bytes(protected_bytes), Cbor(Bytes{}), Cbor::bytes(claim)}));
}

Bytes protected_header(CoseAlg alg, const std::vector<Bytes>& chain) {
  Cbor x5 = Cbor::array();
  for (const auto& der : chain) x5.push(Cbor(der));
  // A single certificate is written as a bare bstr, as c2pa-rs does.
  Cbor x5chain = chain.size() == 1 ? Cbor(chain[0]) : x5;
  return cbor_encode(Cbor::map({{Cbor(1), Cbor(static_cast<int>(alg))}, {Cbor(33), x5chain}}));
}

}  // namespace

Signer Signer::from_pem(const std::string& key_pem, const std::string& chain_pem) {
  Signer s;
  s.key_ = pkey_from_pem_text(key_pem);
  s.alg_ = alg_for_key(s.key_.get());
  auto certs = x509_from_pem_text(chain_pem);
  if (certs.empty())
    throw Error(ErrorKind::InvalidInput, "the certificate chain PEM holds no certificate");
  if (X509_check_private_key(certs[0].get(), s.key_.get()) != 1)
    throw Error(ErrorKind::InvalidInput,
                "the signing key does not match the first certificate of the chain");
  // The trust anchor must not travel in x5chain (§14.5): drop a trailing self-issued cert
  // unless it is the only one (a self-signed end entity).
  if (certs.size() > 1 && X509_check_issued(certs.back().get(), certs.back().get()) == X509_V_OK)
    certs.pop_back();
  for (auto& c : certs) s.chain_.push_back(x509_to_der(c.get()));
  return s;
}

Bytes Signer::sign(std::span<const std::uint8_t> data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, digest_for(alg_), nullptr, key_.get()) <= 0)
    throw Error(ErrorKind::Internal, "cannot start signing: " + openssl_error());
  if (is_pss(alg_)) set_pss(pctx);
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) <= 0)
    throw Error(ErrorKind::Internal, "cannot size signature: " + openssl_error());
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) <= 0)
    throw Error(ErrorKind::Internal, "signing failed: " + openssl_error());
  sig.resize(len);
  if (is_ecdsa(alg_) && !der_for_testing) return der_to_raw(sig, ec_coord_size(key_.get()));
  return sig;
}

std::size_t Signer::reserve_size() const {
  std::size_t certs = 0;
  for (const auto& c : chain_) certs += c.size() + 8;
  // Headers, alg, tag and the signature itself (<= 512 bytes for RSA-4096) fit in 1 KiB;
  // the rest is slack that becomes padding.
  return 1024 + static_cast<std::size_t>(EVP_PKEY_get_size(key_.get())) + certs;
}

Bytes cose_sign1(const Signer& signer, std::span<const std::uint8_t> claim,
                 std::size_t exact_size) {
  const Bytes prot = protected_header(signer.alg(), signer.chain_der());
  const Bytes signature = signer.sign(sig_structure(prot, claim));
  auto build = [&](std::size_t pad, std::size_t pad2, bool with_pad2) {
    Cbor unprot = Cbor::map({{Cbor("pad"), Cbor(Bytes(pad, 0))}});
    if (with_pad2) unprot.set(Cbor("pad2"), Cbor(Bytes(pad2, 0)));
    return cbor_encode(Cbor::tag(18, Cbor::array({Cbor(prot), unprot, Cbor(), Cbor(signature)})));
  };
  // The pad's own length head grows at 24/256/65536 bytes, so some totals cannot be hit
  // with one pad; a second small pad ("pad2", as c2pa-rs does) fills those gaps.
  const std::size_t base = build(0, 0, false).size();
  if (base > exact_size)
    throw Error(ErrorKind::Internal, "COSE signature (" + std::to_string(base) +
                                         " bytes) exceeds its reservation of " +
                                         std::to_string(exact_size));
  for (std::size_t pad2 = 0; pad2 < 64; ++pad2) {
    const bool with2 = pad2 > 0;
    const std::size_t fixed = with2 ? build(0, pad2, true).size() : base;
    const std::size_t want = exact_size - fixed;  // bytes to add to the empty pad
    for (std::size_t head : {0u, 1u, 2u, 4u}) {
      if (want < head) continue;
      const std::size_t n = want - head;
      Bytes out = build(n, pad2, with2);
      if (out.size() == exact_size) return out;
    }
  }
  throw Error(ErrorKind::Internal,
              "cannot pad COSE signature to " + std::to_string(exact_size) + " bytes");
}

CoseSign1 cose_parse(std::span<const std::uint8_t> data) {
  const Cbor root = cbor_decode(data);
  const Cbor* arr = &root;
  if (root.kind() == Cbor::Kind::Tag) {
    if (root.tag_number() != 18)
      throw Error(ErrorKind::InvalidInput, "claim signature is tagged " +
                                               std::to_string(root.tag_number()) +
                                               ", expected COSE_Sign1 (18)");
    arr = &root.tag_content();
  }
  const auto& items = arr->as_array("COSE_Sign1");
  if (items.size() != 4) throw Error(ErrorKind::InvalidInput, "COSE_Sign1 must have 4 elements");
  CoseSign1 c;
  c.protected_bytes = items[0].as_bytes("COSE protected header");
  const Cbor prot = c.protected_bytes.empty() ? Cbor::map() : cbor_decode(c.protected_bytes);
  const Cbor& unprot = items[1];
  if (!prot.is_map() || !unprot.is_map())
    throw Error(ErrorKind::InvalidInput, "COSE headers must be maps");
  const Cbor* alg = prot.find(std::int64_t{1});
  if (!alg)
    throw Error(ErrorKind::InvalidInput, "COSE protected header has no algorithm (label 1)");
  c.alg = static_cast<int>(alg->as_int("COSE alg"));
  const Cbor* x5 = prot.find(std::int64_t{33});
  if (!x5) x5 = unprot.find(std::int64_t{33});
  if (!x5) throw Error(ErrorKind::InvalidInput, "COSE header has no x5chain (label 33)");
  if (x5->is_bytes()) {
    c.x5chain.push_back(x5->as_bytes());
  } else {
    for (const auto& cert : x5->as_array("x5chain"))
      c.x5chain.push_back(cert.as_bytes("x5chain entry"));
  }
  if (c.x5chain.empty()) throw Error(ErrorKind::InvalidInput, "COSE x5chain is empty");
  if (!items[2].is_null())
    throw Error(ErrorKind::InvalidInput, "COSE payload must be detached (nil)");
  c.signature = items[3].as_bytes("COSE signature");
  return c;
}

std::string cose_verify(const CoseSign1& cose, std::span<const std::uint8_t> claim, X509* leaf,
                        bool& format_error) {
  format_error = false;
  EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (!key) return "certificate has no usable public key";
  CoseAlg alg;
  switch (cose.alg) {
    case -7:
    case -35:
    case -36:
    case -37:
    case -38:
    case -39:
    case -8:
      alg = static_cast<CoseAlg>(cose.alg);
      break;
    default:
      format_error = true;
      return "unsupported COSE algorithm " + std::to_string(cose.alg);
  }
  Bytes sig = cose.signature;
  if (is_ecdsa(alg)) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
      return "algorithm does not match the certificate key";
    if (sig.size() != 2 * ec_coord_size(key)) {
      format_error = true;
      return "EC signature should be in P1363 r|s format";
    }
    sig = raw_to_der(sig);
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(alg), nullptr, key) <= 0) {
    openssl_error();
    return "algorithm does not match the certificate key";
  }
  if (is_pss(alg)) set_pss(pctx);
  const Bytes tbs = sig_structure(cose.protected_bytes, claim);
  const int ok = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), tbs.data(), tbs.size());
  if (ok == 1) return "";
  openssl_error();
  return "signature does not match the claim";
}

}  // namespace reel::provenance
