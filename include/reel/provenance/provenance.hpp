#pragma once
// reel's provenance facade: C2PA Content Credentials for every MP4 and PNG reel
// writes (build, sign, embed, verify) and the licence policy checked before a run.
// Design notes and the structures used: docs/provenance.md.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/model/model_card.hpp"
#include "reel/model/tasks.hpp"

namespace reel::provenance {

struct ModelUse {
  std::string step_id;
  model::ModelCard card;
  Json params;
};

struct Ingredient {
  std::string title;                     // e.g. "character.png"
  std::string format;                    // "image/png"
  std::vector<std::uint8_t> data;        // hashed into the manifest; its own C2PA store is carried
  std::string relationship = "inputTo";  // or "componentOf"
  bool placed = false;                   // composited literally -> c2pa.placed action
  // An ingredient whose bytes reel no longer holds (a provider's file reel decoded and
  // re-encoded): its digest, manifest store and validation instead of `data`.
  std::optional<model::SourceCredentials> source;
};

struct ManifestFacts {
  std::string title;             // output file name
  std::vector<ModelUse> models;  // first one is the creating softwareAgent
  std::vector<Ingredient> ingredients;
  Json cost = Json::object();  // cost summary (the ledger's report)
  std::string training_mining =
      "notAllowed";  // cawg.training-mining: allowed|notAllowed|constrained
  std::vector<std::string> notes;
};

struct SigningConfig {
  std::filesystem::path key_pem, cert_chain_pem;  // empty -> default_keys()
  // Negative tests only: write the DER ECDSA form that C2PA forbids.
  bool ecdsa_der_for_testing = false;
};

struct KeyPaths {
  std::filesystem::path dir, key_pem, cert_chain_pem, root_ca_pem;
};

// Makes a local test CA and a signing certificate carrying what C2PA verifiers require
// (end entity, AKI, critical keyUsage digitalSignature, EKU c2pa claim-signing +
// emailProtection). Private keys are written 0600. Existing keys are kept unless force.
KeyPaths init_keys(const std::filesystem::path& dir, bool force = false);
KeyPaths default_keys();  // $REEL_HOME/keys, initialised on first use

// Deliberately defective identities for negative tests of verifiers.
enum class TestCertDefect { none, ca_as_signer, no_eku, no_aki };
KeyPaths make_test_identity(const std::filesystem::path& dir, TestCertDefect defect,
                            const std::string& key_type = "ec");  // "ec", "ed25519", "rsa"

// Embeds a signed manifest into the MP4 or PNG at `file` in place (atomically: temp +
// rename). Detects the format by magic bytes; replaces an earlier reel/C2PA manifest.
void sign_file(const std::filesystem::path& file, const ManifestFacts& facts,
               const SigningConfig& cfg = {});

struct VerifyResult {
  bool valid = false;    // well-formed, signature and hashes check, credential acceptable
  bool trusted = false;  // valid and the signer chains to a given trust anchor
  // The file carries no C2PA manifest at all: not a broken one, simply none.
  bool no_credentials() const;
  std::vector<std::string> status_codes;  // C2PA codes, e.g. "assertion.bmffHash.mismatch"
  std::vector<std::string> failures;      // the subset of status_codes that are failures
  Json summary = Json::object();          // title, signer, models, ingredients, cost, ...
  std::string text() const;               // human-readable report
  Json to_json() const;
};
// Never throws for bad file content (that is a result); throws only for I/O errors.
VerifyResult verify_file(const std::filesystem::path& file,
                         const std::vector<std::filesystem::path>& trust_anchors = {});
VerifyResult verify_bytes(const std::vector<std::uint8_t>& file,
                          const std::vector<std::filesystem::path>& trust_anchors = {});

// The manifest store a PNG or MP4 file carries, validated now, as the facts a parent
// ingredient needs (title and format from the caller); nullopt when the file carries
// none or one reel cannot parse. Never throws for bad content.
std::optional<model::SourceCredentials> read_source_credentials(std::span<const std::uint8_t> file,
                                                                const std::string& title,
                                                                const std::string& format);
// Those credentials as the parentOf ingredient of the output made from that file.
Ingredient parent_ingredient(const model::SourceCredentials& source);

// Licence policy
struct Policy {
  std::string name;
  std::vector<model::TrainingData> allowed_training_data;
  std::vector<std::string> allowed_licences;  // SPDX ids; empty = any
  std::vector<std::string> denied_licences;  // SPDX ids refused even when allowed_licences is empty
};
Policy policy_by_name(const std::string& name);  // "commercial-safe", "permissive"
Policy load_policy_file(const std::filesystem::path& json_file);
std::vector<std::string> policy_names();
// "" when allowed, else the reason naming the model.
std::string refuse_reason(const Policy& p, const model::ModelCard& card);

}  // namespace reel::provenance
