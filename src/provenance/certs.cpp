#include "provenance/certs.hpp"

#include <openssl/x509v3.h>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"

namespace reel::provenance {
namespace {

// EKUs c2pa-rs accepts by default (valid_eku_oids.cfg): c2pa claim signing, email
// protection, document signing, Microsoft C2PA.
constexpr const char* kAllowedEku[] = {"1.3.6.1.4.1.62558.2.1", "1.3.6.1.5.5.7.3.4",
                                       "1.3.6.1.5.5.7.3.36", "1.3.6.1.4.1.311.76.59.1.9"};

std::string oid_text(const ASN1_OBJECT* o) {
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, o, 1);
  return buf;
}

}  // namespace

std::string cert_profile_problem(X509* leaf) {
  if (X509_get_version(leaf) != 2) return "certificate is not X.509 v3";
  const uint32_t flags = X509_get_extension_flags(leaf);  // also caches the extensions
  if (flags & EXFLAG_INVALID) return "certificate extensions are malformed";
  if (flags & EXFLAG_CRITICAL) return "certificate has an unhandled critical extension";
  const bool self_signed = (flags & EXFLAG_SS) != 0;
  const bool is_ca = (flags & EXFLAG_CA) != 0;
  if (is_ca && self_signed)
    return "self-signed CA certificate used as signer (self-signed disallowed)";
  if (is_ca) return "signer is a CA certificate, not an end entity";
  if (!X509_get0_authority_key_id(leaf)) return "certificate has no Authority Key Identifier";
  if (!(flags & EXFLAG_KUSAGE)) return "certificate has no keyUsage extension";
  const uint32_t ku = X509_get_key_usage(leaf);
  if (!(ku & KU_DIGITAL_SIGNATURE)) return "keyUsage lacks digitalSignature";
  if (ku & KU_KEY_CERT_SIGN) return "keyUsage keyCertSign is only allowed for CAs";
  auto* eku =
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(leaf, NID_ext_key_usage, nullptr, nullptr));
  if (!eku)
    return "certificate has no extendedKeyUsage (needs c2pa-kp-claimSigning, emailProtection or "
           "documentSigning)";
  bool allowed = false, any = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    const std::string oid = oid_text(sk_ASN1_OBJECT_value(eku, i));
    if (oid == "2.5.29.37.0") any = true;
    for (const char* a : kAllowedEku)
      if (oid == a) allowed = true;
  }
  EXTENDED_KEY_USAGE_free(eku);
  if (any) return "extendedKeyUsage anyExtendedKeyUsage is not allowed";
  if (!allowed) return "extendedKeyUsage has no C2PA signing purpose";
  EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (!key) return "certificate public key is unreadable";
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
      const int bits = EVP_PKEY_get_bits(key);
      if (bits != 256 && bits != 384 && bits != 521)
        return "EC key is not on P-256, P-384 or P-521";
      break;
    }
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      if (EVP_PKEY_get_bits(key) < 2048) return "RSA key shorter than 2048 bits";
      break;
    case EVP_PKEY_ED25519:
      break;
    default:
      return "certificate key type is not allowed";
  }
  return "";
}

bool cert_valid_now(X509* leaf) {
  return X509_cmp_current_time(X509_get0_notBefore(leaf)) < 0 &&
         X509_cmp_current_time(X509_get0_notAfter(leaf)) > 0;
}

std::string chain_problem(X509* leaf, const std::vector<X509Ptr>& intermediates,
                          const std::vector<std::filesystem::path>& anchors) {
  if (anchors.empty()) return "no trust anchors configured";
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  std::size_t loaded = 0;
  for (const auto& path : anchors) {
    for (auto& cert : x509_from_pem_text(read_file(path, 16u << 20))) {
      X509_STORE_add_cert(store.get(), cert.get());
      ++loaded;
    }
  }
  if (loaded == 0) return "trust anchor files hold no certificate";
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (const auto& c : intermediates) sk_X509_push(chain, c.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store.get(), leaf, chain);
  const int ok = X509_verify_cert(ctx);
  std::string why = ok == 1 ? "" : X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  sk_X509_free(chain);
  return why;
}

}  // namespace reel::provenance
