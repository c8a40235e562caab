// Local signing identities: a test CA and an end-entity claim-signing certificate with
// exactly the profile C2PA verifiers check (spec §14.5.1, c2pa-rs certificate_profile.rs).
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "provenance/openssl_util.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/paths.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::provenance {
namespace fs = std::filesystem;
namespace {

PkeyPtr generate_key(const std::string& type) {
  EVP_PKEY* k = nullptr;
  if (type == "ec")
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  else if (type == "ed25519")
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  else if (type == "rsa")
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  else
    throw Error(ErrorKind::InvalidInput, "key type '" + type + "' is not one of: ec, ed25519, rsa");
  if (!k) throw Error(ErrorKind::Internal, "key generation failed: " + openssl_error());
  return PkeyPtr(k);
}

using Extensions = std::vector<std::pair<int, std::string>>;

X509Ptr make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                  const Extensions& exts, long days) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);  // v3
  BIGNUM* bn = BN_new();
  BN_rand(bn, 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
  BN_free(bn);
  // Backdated an hour so a clock slightly behind the signer's still accepts it.
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), days * 86400L);
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("reel local test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext)
      throw Error(ErrorKind::Internal, "certificate extension '" + value + "': " + openssl_error());
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  EVP_PKEY* signing = issuer_key ? issuer_key : key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signing) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(x.get(), signing, md) <= 0)
    throw Error(ErrorKind::Internal, "certificate signing failed: " + openssl_error());
  return x;
}

std::string cert_pem(X509* x) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return s;
}

std::string key_pem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);  // PKCS#8
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<std::size_t>(n));
  OPENSSL_cleanse(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return s;
}

// Private keys are born 0600: the temporary is created with that mode before any byte
// is written, so the key is never readable by others, even briefly.
void write_private(const fs::path& path, std::string text) {
  AtomicFile f(path);
  const int fd = ::open(f.temp_path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(ErrorKind::Io, "cannot create key file in " + path.parent_path().string());
  ::close(fd);
  f.write(text);
  OPENSSL_cleanse(text.data(), text.size());
  f.commit();
}

KeyPaths paths_in(const fs::path& dir) {
  return KeyPaths{dir, dir / "signing_key.pem", dir / "signing_chain.pem", dir / "root_ca.pem"};
}

const Extensions kRootExt = {{NID_basic_constraints, "critical,CA:TRUE"},
                             {NID_key_usage, "critical,keyCertSign,cRLSign"},
                             {NID_subject_key_identifier, "hash"},
                             {NID_authority_key_identifier, "keyid:always"}};

KeyPaths write_identity(const fs::path& dir, TestCertDefect defect, const std::string& key_type) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  KeyPaths p = paths_in(dir);
  PkeyPtr root_key = generate_key("ec");
  X509Ptr root =
      make_cert(root_key.get(), "reel local test root CA", nullptr, nullptr, kRootExt, 3650);
  write_file_atomic(p.root_ca_pem, cert_pem(root.get()));
  write_private(dir / "root_ca_key.pem", key_pem(root_key.get()));
  if (defect == TestCertDefect::ca_as_signer) {
    write_private(p.key_pem, key_pem(root_key.get()));
    write_file_atomic(p.cert_chain_pem, cert_pem(root.get()));
    return p;
  }
  Extensions leaf_ext = {{NID_basic_constraints, "critical,CA:FALSE"},
                         {NID_key_usage, "critical,digitalSignature"},
                         {NID_subject_key_identifier, "hash"}};
  if (defect != TestCertDefect::no_eku)
    leaf_ext.emplace_back(NID_ext_key_usage, "1.3.6.1.4.1.62558.2.1,emailProtection");
  if (defect != TestCertDefect::no_aki)
    leaf_ext.emplace_back(NID_authority_key_identifier, "keyid:always");
  PkeyPtr leaf_key = generate_key(key_type);
  X509Ptr leaf =
      make_cert(leaf_key.get(), "reel local signer", root.get(), root_key.get(), leaf_ext, 825);
  write_private(p.key_pem, key_pem(leaf_key.get()));
  write_file_atomic(p.cert_chain_pem, cert_pem(leaf.get()));
  return p;
}

}  // namespace

KeyPaths init_keys(const fs::path& dir, bool force) {
  KeyPaths p = paths_in(dir);
  if (!force && fs::exists(p.key_pem) && fs::exists(p.cert_chain_pem)) return p;
  // Several processes (workers, parallel tests) may start on a fresh $REEL_HOME at once:
  // one creates the identity under an exclusive lock, the others then find it.
  fs::create_directories(dir.parent_path());
  const fs::path lock_path = dir.string() + ".lock";
  const int fd = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorKind::Io, "cannot open " + lock_path.string());
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing releases the lock
  } unlock{fd};
  if (::flock(fd, LOCK_EX) != 0) throw Error(ErrorKind::Io, "cannot lock " + lock_path.string());
  if (!force && fs::exists(p.key_pem) && fs::exists(p.cert_chain_pem)) return p;
  return with_context("creating signing keys in " + dir.string(),
                      [&] { return write_identity(dir, TestCertDefect::none, "ec"); });
}

KeyPaths default_keys() {
  return init_keys(reel_home() / "keys");
}

KeyPaths make_test_identity(const fs::path& dir, TestCertDefect defect,
                            const std::string& key_type) {
  return write_identity(dir, defect, key_type);
}

}  // namespace reel::provenance
