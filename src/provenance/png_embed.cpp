#include <array>

#include "provenance/embed.hpp"
#include "provenance/manifest.hpp"
#include "reel/core/error.hpp"

namespace reel::provenance {
namespace {

constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
constexpr std::size_t kMaxChunk = 0x7FFFFFFF;  // PNG's own limit on a chunk length

struct Chunk {
  std::string type;
  std::size_t offset = 0, length = 0;  // offset of the length field; data length
  std::size_t total() const { return length + 12; }
};

std::vector<Chunk> png_chunks(std::span<const std::uint8_t> png) {
  if (png.size() < 8 || !std::equal(png.begin(), png.begin() + 8, kPngSignature))
    throw Error(ErrorKind::InvalidInput, "not a PNG file (bad signature)");
  std::vector<Chunk> chunks;
  std::size_t pos = 8;
  while (pos < png.size()) {
    if (png.size() - pos < 12)
      throw Error(ErrorKind::InvalidInput,
                  "PNG chunk header truncated at byte " + std::to_string(pos));
    Chunk c{get_fourcc(png, pos + 4), pos, get_be32(png, pos)};
    if (c.length > kMaxChunk || c.length > png.size() - pos - 12)
      throw Error(ErrorKind::InvalidInput, "PNG chunk '" + c.type + "' at byte " +
                                               std::to_string(pos) + " is longer than the file");
    chunks.push_back(c);
    pos += c.total();
    if (c.type == "IEND") break;
  }
  if (chunks.empty() || chunks.front().type != "IHDR")
    throw Error(ErrorKind::InvalidInput, "PNG does not start with an IHDR chunk");
  return chunks;
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::uint8_t b : data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

Container detect_container(std::span<const std::uint8_t> f) {
  if (f.size() >= 8 && std::equal(f.begin(), f.begin() + 8, kPngSignature)) return Container::png;
  if (f.size() >= 8 && get_fourcc(f, 4) == "ftyp") return Container::bmff;
  return Container::unknown;
}

std::optional<StoreLocation> png_locate(std::span<const std::uint8_t> png) {
  for (const Chunk& c : png_chunks(png)) {
    if (c.type != "caBX") continue;
    const std::uint32_t stored = get_be32(png, c.offset + 8 + c.length);
    if (crc32(png.subspan(c.offset + 4, c.length + 4)) != stored)
      throw Error(ErrorKind::InvalidInput, "PNG caBX chunk CRC does not match its content");
    return StoreLocation{c.offset, c.total(), png.subspan(c.offset + 8, c.length)};
  }
  return std::nullopt;
}

Bytes png_find_store(std::span<const std::uint8_t> png) {
  try {
    if (detect_container(png) != Container::png) return {};
    if (auto loc = png_locate(png)) return Bytes(loc->store.begin(), loc->store.end());
  } catch (const Error&) {
  }
  return {};
}

Bytes png_embed(std::span<const std::uint8_t> png, const ManifestFacts& facts,
                const Signer& signer) {
  // 1. The image without any earlier manifest: what the data hash will cover.
  Bytes base(png.begin(), png.begin() + 8);
  std::size_t insert_at = 0;
  for (const Chunk& c : png_chunks(png)) {
    if (c.type == "caBX") continue;
    base.insert(base.end(), png.begin() + c.offset, png.begin() + c.offset + c.total());
    if (c.type == "IHDR") insert_at = base.size();
  }
  const Sha256Digest hash = sha256(base);
  ManifestWriter writer(facts, signer, hash);

  // 2. The exclusion's length sits inside the manifest it measures: iterate to the fixed
  // point (CBOR integer heads change size only at 24/256/65536, so this converges fast).
  auto binding = [&](std::size_t length, std::span<const std::uint8_t> h) {
    return Cbor::map(
        {{Cbor("exclusions"), Cbor::array({Cbor::map({{Cbor("start"), Cbor(insert_at)},
                                                      {Cbor("length"), Cbor(length)}})})},
         {Cbor("alg"), Cbor("sha256")},
         {Cbor("hash"), Cbor::bytes(h)},
         {Cbor("pad"), Cbor(Bytes{})}});
  };
  const Bytes zero(32, 0);
  std::size_t length = 0;
  for (int i = 0; i < 8; ++i) {
    const std::size_t next =
        writer.store("c2pa.hash.data", binding(length, zero), false).size() + 12;
    if (next == length) break;
    length = next;
  }
  // 3. Sign with the real hash; every size is already fixed.
  const Bytes store = writer.store("c2pa.hash.data", binding(length, hash), true);
  if (store.size() + 12 != length)
    throw Error(ErrorKind::Internal, "PNG manifest size changed after signing");
  Bytes out(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(insert_at));
  const std::size_t chunk_start = out.size();
  put_be32(out, static_cast<std::uint32_t>(store.size()));
  put_fourcc(out, "caBX");
  out.insert(out.end(), store.begin(), store.end());
  put_be32(out, crc32(std::span<const std::uint8_t>(out).subspan(chunk_start + 4)));
  out.insert(out.end(), base.begin() + static_cast<std::ptrdiff_t>(insert_at), base.end());
  return out;
}

}  // namespace reel::provenance
