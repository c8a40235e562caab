#pragma once
// COSE_Sign1 (RFC 9052) as C2PA uses it for claim signatures (§13.2, §14.5): tag 18,
// protected header {1: alg, 33: x5chain}, detached payload (nil), signature over
// Sig_structure ["Signature1", protected, h'', claim bytes]. ECDSA signatures are raw
// r||s (IEEE P1363), never OpenSSL's DER form, which c2pa-rs rejects.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "provenance/bytes.hpp"
#include "provenance/openssl_util.hpp"

namespace reel::provenance {

enum class CoseAlg : int {
  ES256 = -7,
  ES384 = -35,
  ES512 = -36,
  PS256 = -37,
  PS384 = -38,
  PS512 = -39,
  EdDSA = -8
};
std::string to_string(CoseAlg alg);

class Signer {
 public:
  // Loads a PEM private key and a PEM chain (leaf first, root excluded or not: a
  // self-signed last certificate is dropped, as C2PA forbids the root in x5chain).
  static Signer from_pem(const std::string& key_pem, const std::string& chain_pem);

  CoseAlg alg() const { return alg_; }
  const std::vector<Bytes>& chain_der() const { return chain_; }
  // The raw COSE signature of `data` (r||s for ECDSA unless der_for_testing).
  Bytes sign(std::span<const std::uint8_t> data) const;
  // Size to reserve for the COSE_Sign1 so it never has to grow after the asset hash.
  std::size_t reserve_size() const;

  bool der_for_testing = false;  // writes non-conforming DER ECDSA (negative tests only)

 private:
  PkeyPtr key_;
  std::vector<Bytes> chain_;
  CoseAlg alg_ = CoseAlg::ES256;
};

// COSE_Sign1_Tagged over `claim`, padded (unprotected "pad") to exactly `exact_size`
// bytes; throws Internal if it does not fit.
Bytes cose_sign1(const Signer& signer, std::span<const std::uint8_t> claim, std::size_t exact_size);

struct CoseSign1 {
  int alg = 0;
  Bytes protected_bytes;       // the serialized protected header map
  std::vector<Bytes> x5chain;  // leaf first
  Bytes signature;
};
// Parses a COSE_Sign1_Tagged; throws InvalidInput when malformed.
CoseSign1 cose_parse(std::span<const std::uint8_t> data);

// Checks the signature with the leaf's public key. Returns "" when it verifies, else why not.
// Sets `format_error` when the signature has the wrong encoding (e.g. DER ECDSA).
std::string cose_verify(const CoseSign1& cose, std::span<const std::uint8_t> claim, X509* leaf,
                        bool& format_error);

}  // namespace reel::provenance
