#pragma once
// RAII owners for the OpenSSL objects this layer uses, and error text from its queue.
// OpenSSL types stay inside src/provenance (never in public headers).
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace reel::provenance {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// The newest OpenSSL error as text (and clears the queue).
std::string openssl_error();

X509Ptr x509_from_der(const std::vector<std::uint8_t>& der);
std::vector<std::uint8_t> x509_to_der(X509* cert);
std::vector<X509Ptr> x509_from_pem_text(const std::string& pem);
PkeyPtr pkey_from_pem_text(const std::string& pem);
std::string x509_subject_cn(X509* cert);

}  // namespace reel::provenance
