#pragma once
// Builds a C2PA manifest store (JUMBF) for reel's facts: the assertions, the claim v2
// and its COSE signature. The hard binding is supplied by the embedder (PNG data hash or
// BMFF v3 hash), first as a placeholder to fix every size, then with the real hash.
#include <span>
#include <string>
#include <vector>

#include "provenance/bytes.hpp"
#include "provenance/cose.hpp"
#include "reel/provenance/cbor.hpp"
#include "reel/provenance/jumbf.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::provenance {

inline constexpr const char* kTrainedAlgorithmicMedia =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

// {"url": ..., "hash": sha256(box body)} for a superbox (§8.4.2).
Cbor hashed_uri(const std::string& url, std::span<const std::uint8_t> body);

class ManifestWriter {
 public:
  // `seed` makes the manifest label deterministic for the same asset and facts.
  ManifestWriter(const ManifestFacts& facts, const Signer& signer,
                 std::span<const std::uint8_t> seed);

  const std::string& label() const { return label_; }
  // Re-derives the label and instanceID (same lengths, so store sizes do not change).
  void set_seed(std::span<const std::uint8_t> seed);
  // The complete store with `binding` as the hard-binding assertion. Unsigned stores
  // carry a zero-filled signature of the final size, so both calls give equal sizes.
  Bytes store(const std::string& binding_label, const Cbor& binding, bool sign) const;

 private:
  struct Assertion {
    std::string label;
    Cbor value;
  };
  void add_ingredients(const ManifestFacts& facts, std::vector<Cbor>& parent_uris,
                       std::vector<Cbor>& input_uris, std::vector<Cbor>& placed_uris);

  const Signer& signer_;
  std::string label_;
  std::string instance_id_;
  std::string title_;
  std::string facts_text_;
  std::vector<Assertion> assertions_;  // everything but the hard binding
  std::vector<JumbfBox> carried_;      // ingredients' own manifests, written verbatim
  std::size_t signature_size_ = 0;
};

// The manifest store JUMBF inside a PNG caBX chunk, or empty if there is none. Never
// throws for malformed PNGs (they simply have no store).
Bytes png_find_store(std::span<const std::uint8_t> png);

}  // namespace reel::provenance
