#pragma once
// Where a manifest store lives in each container, and the hard-binding hashes over the
// file bytes. Both walkers treat the file as hostile: every length is checked against
// what is left, and nothing is allocated from a declared size.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "provenance/bytes.hpp"
#include "provenance/cose.hpp"
#include "reel/core/hash.hpp"
#include "reel/provenance/cbor.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::provenance {

enum class Container { png, bmff, unknown };
Container detect_container(std::span<const std::uint8_t> file);

// The store and the byte range of the box/chunk that holds it.
struct StoreLocation {
  std::size_t offset = 0;  // start of the caBX chunk / uuid box
  std::size_t size = 0;    // whole chunk / box
  std::span<const std::uint8_t> store;
};

// --- PNG (caBX chunk after IHDR, c2pa.hash.data) ---
std::optional<StoreLocation> png_locate(
    std::span<const std::uint8_t> png);  // throws on malformed PNG
Bytes png_embed(std::span<const std::uint8_t> png, const ManifestFacts& facts,
                const Signer& signer);
std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

// --- ISO BMFF / MP4 (uuid box after ftyp, c2pa.hash.bmff.v3) ---
inline constexpr std::uint8_t kC2paUuid[16] = {0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C,
                                               0x92, 0x97, 0x58, 0x28, 0x87, 0x7E, 0xC4, 0x81};
struct BmffBox {
  std::string type;
  std::size_t offset = 0, size = 0, header = 8;
};
std::vector<BmffBox> bmff_top_level(std::span<const std::uint8_t> file);  // throws on malformed
std::optional<StoreLocation> bmff_locate(std::span<const std::uint8_t> mp4);
Bytes bmff_embed(std::span<const std::uint8_t> mp4, const ManifestFacts& facts,
                 const Signer& signer);

// SHA-256 over top-level boxes, each prefixed with its BE64 offset, skipping the boxes
// `bmff_exclusions` names (§18.6.2). Throws InvalidInput for exclusions it cannot apply.
Sha256Digest bmff_hash(std::span<const std::uint8_t> file, const Cbor& exclusions);
Cbor bmff_default_exclusions();

}  // namespace reel::provenance
