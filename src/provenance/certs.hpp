#pragma once
// The signing-certificate profile C2PA verifiers enforce (spec §14.5.1; c2pa-rs
// certificate_profile.rs) and trust-anchor chain checks.
#include <filesystem>
#include <string>
#include <vector>

#include "provenance/openssl_util.hpp"

namespace reel::provenance {

// "" when the end-entity certificate fits the C2PA claim-signing profile, else why not.
std::string cert_profile_problem(X509* leaf);
// Whether the certificate is inside its validity period now.
bool cert_valid_now(X509* leaf);
// "" when leaf (with intermediates) chains to one of the PEM anchor files, else why not.
std::string chain_problem(X509* leaf, const std::vector<X509Ptr>& intermediates,
                          const std::vector<std::filesystem::path>& anchors);

}  // namespace reel::provenance
