#include "provenance/embed.hpp"
#include "provenance/manifest.hpp"
#include "reel/core/error.hpp"

namespace reel::provenance {
namespace {

constexpr std::size_t kMaxDepth = 16;

// Reads the box header at pos within [pos, end).
BmffBox read_box(std::span<const std::uint8_t> f, std::size_t pos, std::size_t end) {
  if (end - pos < 8)
    throw Error(ErrorKind::InvalidInput, "MP4 box header truncated at byte " + std::to_string(pos));
  BmffBox b{get_fourcc(f, pos + 4), pos, get_be32(f, pos), 8};
  if (b.size == 1) {
    if (end - pos < 16)
      throw Error(ErrorKind::InvalidInput,
                  "MP4 large box header truncated at byte " + std::to_string(pos));
    const std::uint64_t large = get_be64(f, pos + 8);
    if (large > end - pos)
      throw Error(ErrorKind::InvalidInput, "MP4 box '" + b.type + "' at byte " +
                                               std::to_string(pos) + " overruns its parent");
    b.size = static_cast<std::size_t>(large);
    b.header = 16;
  } else if (b.size == 0) {
    b.size = end - pos;  // extends to the end of the file / parent
  }
  if (b.size < b.header || b.size > end - pos)
    throw Error(ErrorKind::InvalidInput, "MP4 box '" + b.type + "' at byte " + std::to_string(pos) +
                                             " has size " + std::to_string(b.size) +
                                             ", which does not fit");
  if (b.type == "uuid" && b.size < b.header + 16)
    throw Error(ErrorKind::InvalidInput,
                "MP4 uuid box at byte " + std::to_string(pos) + " is too small");
  return b;
}

std::vector<BmffBox> children(std::span<const std::uint8_t> f, std::size_t begin, std::size_t end) {
  std::vector<BmffBox> out;
  for (std::size_t pos = begin; pos < end;) {
    out.push_back(read_box(f, pos, end));
    pos += out.back().size;
  }
  return out;
}

bool is_c2pa_uuid(std::span<const std::uint8_t> f, const BmffBox& b) {
  return b.type == "uuid" && std::equal(f.begin() + b.offset + b.header,
                                        f.begin() + b.offset + b.header + 16, kC2paUuid);
}

// Adds delta to every chunk offset in stco/co64 boxes under `box` (in place).
void shift_chunk_offsets(std::span<std::uint8_t> f, const BmffBox& box, std::int64_t delta,
                         std::size_t depth) {
  if (depth > kMaxDepth) throw Error(ErrorKind::InvalidInput, "MP4 boxes nested too deeply");
  static const char* const kContainers[] = {"moov", "trak", "mdia", "minf", "stbl", "edts", "udta"};
  for (const BmffBox& c : children(f, box.offset + box.header, box.offset + box.size)) {
    if (c.type == "stco" || c.type == "co64") {
      const bool wide = c.type == "co64";
      const std::size_t body = c.offset + c.header;
      if (c.size - c.header < 8)
        throw Error(ErrorKind::InvalidInput, "MP4 " + c.type + " box truncated");
      const std::uint32_t count = get_be32(f, body + 4);
      const std::size_t entry = wide ? 8 : 4;
      if (count > (c.size - c.header - 8) / entry)
        throw Error(ErrorKind::InvalidInput, "MP4 " + c.type + " entry count exceeds its box");
      for (std::uint32_t i = 0; i < count; ++i) {
        const std::size_t at = body + 8 + i * entry;
        const std::int64_t v =
            static_cast<std::int64_t>(wide ? get_be64(f, at) : get_be32(f, at)) + delta;
        if (v < 0 || (!wide && v > 0xFFFFFFFFll))
          throw Error(ErrorKind::Unsupported,
                      "MP4 chunk offset does not fit a 32-bit stco after inserting the manifest"
                      " (files over 4 GiB need co64)");
        if (wide)
          set_be64(f, at, static_cast<std::uint64_t>(v));
        else
          set_be32(f, at, static_cast<std::uint32_t>(v));
      }
    } else {
      for (const char* k : kContainers)
        if (c.type == k) shift_chunk_offsets(f, c, delta, depth + 1);
    }
  }
}

Bytes uuid_box(std::span<const std::uint8_t> store) {
  Bytes b;
  put_be32(b, static_cast<std::uint32_t>(8 + 16 + 4 + 9 + 8 + store.size()));
  put_fourcc(b, "uuid");
  b.insert(b.end(), std::begin(kC2paUuid), std::end(kC2paUuid));
  put_be32(b, 0);  // version 0, flags 0
  const char purpose[] = "manifest";
  b.insert(b.end(), purpose, purpose + sizeof purpose);  // NUL included
  put_be64(b, 0);  // no merkle boxes: the file is not fragmented
  b.insert(b.end(), store.begin(), store.end());
  return b;
}

}  // namespace

std::vector<BmffBox> bmff_top_level(std::span<const std::uint8_t> f) {
  auto boxes = children(f, 0, f.size());
  if (boxes.empty() || boxes.front().type != "ftyp")
    throw Error(ErrorKind::InvalidInput, "not an MP4 file: the first box is not 'ftyp'");
  return boxes;
}

std::optional<StoreLocation> bmff_locate(std::span<const std::uint8_t> f) {
  for (const BmffBox& b : bmff_top_level(f)) {
    if (!is_c2pa_uuid(f, b)) continue;
    // uuid, version/flags, purpose string, then the purpose's fields.
    std::size_t p = b.offset + b.header + 16 + 4;
    const std::size_t end = b.offset + b.size;
    std::size_t nul = p;
    while (nul < end && f[nul] != 0) ++nul;
    if (nul >= end) throw Error(ErrorKind::InvalidInput, "C2PA uuid box has no purpose string");
    const std::string purpose(f.begin() + p, f.begin() + nul);
    p = nul + 1;
    if (purpose != "manifest") continue;
    if (end - p < 8) throw Error(ErrorKind::InvalidInput, "C2PA uuid box truncated");
    p += 8;  // merkle offset
    return StoreLocation{b.offset, b.size, f.subspan(p, end - p)};
  }
  return std::nullopt;
}

Cbor bmff_default_exclusions() {
  return Cbor::array(
      {Cbor::map(
           {{Cbor("xpath"), Cbor("/uuid")},
            {Cbor("data"), Cbor::array({Cbor::map({{Cbor("offset"), Cbor(8)},
                                                   {Cbor("value"), Cbor::bytes(kC2paUuid)}})})}}),
       Cbor::map({{Cbor("xpath"), Cbor("/ftyp")}}), Cbor::map({{Cbor("xpath"), Cbor("/mfra")}})});
}

Sha256Digest bmff_hash(std::span<const std::uint8_t> f, const Cbor& exclusions) {
  struct Rule {
    std::string type;
    std::vector<std::pair<std::size_t, Bytes>> data;  // (offset in box, expected bytes)
  };
  std::vector<Rule> rules;
  for (const Cbor& e : exclusions.as_array("bmff exclusions")) {
    const Cbor* xp = e.find("xpath");
    if (!xp) throw Error(ErrorKind::InvalidInput, "bmff exclusion without xpath");
    const std::string& x = xp->as_text("xpath");
    if (x.size() != 5 || x[0] != '/')
      throw Error(ErrorKind::Unsupported,
                  "bmff exclusion '" + x + "': only top-level box paths are supported");
    Rule r{x.substr(1), {}};
    if (const Cbor* d = e.find("data"))
      for (const Cbor& m : d->as_array("exclusion data")) {
        const Cbor* off = m.find("offset");
        const Cbor* val = m.find("value");
        if (!off || !val)
          throw Error(ErrorKind::InvalidInput, "bmff exclusion data needs offset and value");
        const std::int64_t o = off->as_int("exclusion offset");
        if (o < 0) throw Error(ErrorKind::InvalidInput, "negative bmff exclusion offset");
        r.data.emplace_back(static_cast<std::size_t>(o), val->as_bytes("exclusion value"));
      }
    if (e.find("subset") || e.find("version") || e.find("flags") || e.find("exact"))
      throw Error(ErrorKind::Unsupported,
                  "bmff exclusion '" + x + "' uses fields reel does not evaluate");
    rules.push_back(std::move(r));
  }
  auto excluded = [&](const BmffBox& b) {
    for (const Rule& r : rules) {
      if (r.type != b.type) continue;
      bool all = true;
      for (const auto& [off, val] : r.data)
        if (off > b.size || val.size() > b.size - off ||
            !std::equal(val.begin(), val.end(), f.begin() + b.offset + off))
          all = false;
      if (all) return true;
    }
    return false;
  };
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (const BmffBox& b : bmff_top_level(f)) {
    if (excluded(b)) continue;
    Bytes off;
    put_be64(off, b.offset);
    EVP_DigestUpdate(ctx.get(), off.data(), off.size());
    EVP_DigestUpdate(ctx.get(), f.data() + b.offset, b.size);
  }
  Sha256Digest d{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), d.data(), &n);
  return d;
}

Bytes bmff_embed(std::span<const std::uint8_t> mp4, const ManifestFacts& facts,
                 const Signer& signer) {
  const auto boxes = bmff_top_level(mp4);
  for (const BmffBox& b : boxes)
    if (b.type == "moof" || b.type == "sidx")
      throw Error(ErrorKind::Unsupported,
                  "fragmented MP4 is not supported for signing (needs merkle hashes)");
  // 1. Drop an earlier C2PA box; chunk offsets behind it move back by its size.
  std::vector<const BmffBox*> kept;
  std::size_t removed = 0;
  bool after_media = false;
  for (const BmffBox& b : boxes) {
    if (b.type == "mdat" || b.type == "moov") after_media = true;
    if (is_c2pa_uuid(mp4, b)) {
      // Only a box in front of the media moves the chunk offsets; one behind it is
      // outside the spec's placement and would need per-chunk bookkeeping.
      if (after_media)
        throw Error(ErrorKind::Unsupported,
                    "the MP4 has a C2PA box after its media data; it cannot be re-signed");
      removed += b.size;
      continue;
    }
    kept.push_back(&b);
  }
  // The label is derived from the final hash (below); a same-length stand-in sizes it.
  ManifestWriter writer(facts, signer, {});

  auto binding = [&](std::span<const std::uint8_t> h) {
    return Cbor::map({{Cbor("exclusions"), bmff_default_exclusions()},
                      {Cbor("alg"), Cbor("sha256")},
                      {Cbor("hash"), Cbor::bytes(h)}});
  };
  // 2. A placeholder manifest fixes the box size, so the final layout is known: ftyp,
  // the C2PA box, then every other box in its original order (one copy of the media).
  const Bytes box = uuid_box(writer.store("c2pa.hash.bmff.v3", binding(Bytes(32, 0)), false));
  Bytes out;
  out.reserve(mp4.size() - removed + box.size());
  const std::size_t insert_at = boxes.front().size;  // right after ftyp
  for (const BmffBox* b : kept) {
    if (out.size() == insert_at) out.insert(out.end(), box.begin(), box.end());
    out.insert(out.end(), mp4.begin() + b->offset, mp4.begin() + b->offset + b->size);
  }
  if (out.size() == insert_at) out.insert(out.end(), box.begin(), box.end());
  const std::int64_t delta =
      static_cast<std::int64_t>(box.size()) - static_cast<std::int64_t>(removed);
  for (const BmffBox& b : bmff_top_level(out))
    if (b.type == "moov") shift_chunk_offsets(out, b, delta, 0);

  // 3. Hash the final layout (the uuid box is excluded), sign, overwrite in place.
  const Sha256Digest hash = bmff_hash(out, bmff_default_exclusions());
  writer.set_seed(hash);
  const Bytes store = writer.store("c2pa.hash.bmff.v3", binding(hash), true);
  const Bytes final_box = uuid_box(store);
  if (final_box.size() != box.size())
    throw Error(ErrorKind::Internal, "MP4 manifest size changed after signing");
  std::copy(final_box.begin(), final_box.end(),
            out.begin() + static_cast<std::ptrdiff_t>(insert_at));
  return out;
}

}  // namespace reel::provenance
