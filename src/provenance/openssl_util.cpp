#include "provenance/openssl_util.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "reel/core/error.hpp"

namespace reel::provenance {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

X509Ptr x509_from_der(const std::vector<std::uint8_t>& der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size())
    throw Error(ErrorKind::InvalidInput, "certificate is not valid DER: " + openssl_error());
  return cert;
}

std::vector<std::uint8_t> x509_to_der(X509* cert) {
  unsigned char* buf = nullptr;
  const int n = i2d_X509(cert, &buf);
  if (n <= 0) throw Error(ErrorKind::Internal, "cannot encode certificate: " + openssl_error());
  std::vector<std::uint8_t> out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

std::vector<X509Ptr> x509_from_pem_text(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::vector<X509Ptr> out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  ERR_clear_error();  // the loop ends on a "no start line" error
  return out;
}

PkeyPtr pkey_from_pem_text(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  // Deliberately no key material in the message.
  if (!key)
    throw Error(ErrorKind::InvalidInput,
                "not a PEM private key (PKCS#8 or traditional, unencrypted)");
  return key;
}

std::string x509_subject_cn(X509* cert) {
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

}  // namespace reel::provenance
