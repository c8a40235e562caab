// libFuzzer target for the provenance readers: CBOR, JUMBF and the whole C2PA verifier
// (COSE, certificates, hashed URIs, hard bindings) on hostile manifest stores.
//   ninja -C build-fuzz fuzz_jumbf
//   ./build-fuzz/bin/fuzz_jumbf -max_total_time=60 fuzz/corpus/jumbf
// The input is used three ways: as a CBOR item, as a JUMBF superbox (whose CBOR content
// boxes are decoded too), and as the manifest store inside a PNG caBX chunk and an MP4
// uuid box handed to verify_bytes. Any crash, sanitizer report or escaped exception is
// a finding: bad input must only ever produce reel::Error or an invalid VerifyResult.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/provenance/cbor.hpp"
#include "reel/provenance/jumbf.hpp"
#include "reel/provenance/provenance.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

void be32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

std::uint32_t crc32(const Bytes& d, std::size_t from) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = from; i < d.size(); ++i) {
    c ^= d[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

Bytes png_with_store(std::span<const std::uint8_t> store) {
  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D',
               'R',  0,   0,   0,   1,    0,    0,    0,    1, 8, 0, 0,  0,   0};
  be32(png, crc32(png, 12));
  const std::size_t start = png.size();
  be32(png, static_cast<std::uint32_t>(store.size()));
  png.insert(png.end(), {'c', 'a', 'B', 'X'});
  png.insert(png.end(), store.begin(), store.end());
  be32(png, crc32(png, start + 4));
  png.insert(png.end(), {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82});
  return png;
}

Bytes mp4_with_store(std::span<const std::uint8_t> store) {
  Bytes mp4 = {0, 0, 0, 16, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0};
  be32(mp4, static_cast<std::uint32_t>(45 + store.size()));
  mp4.insert(mp4.end(),
             {'u',  'u',  'i',  'd',  0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C, 0x92, 0x97,
              0x58, 0x28, 0x87, 0x7E, 0xC4, 0x81, 0,    0,    0,    0,    'm',  'a',  'n',  'i',
              'f',  'e',  's',  't',  0,    0,    0,    0,    0,    0,    0,    0,    0});
  mp4.insert(mp4.end(), store.begin(), store.end());
  mp4.insert(mp4.end(), {0, 0, 0, 12, 'm', 'd', 'a', 't', 1, 2, 3, 4});
  return mp4;
}

void decode_contents(const reel::provenance::JumbfBox& b) {
  for (const auto& c : b.children) {
    if (c.is_super) {
      decode_contents(c);
    } else if (c.content_type == "cbor") {
      try {
        const auto v = reel::provenance::cbor_decode(c.content);
        (void)reel::provenance::cbor_to_json(v).dump();
      } catch (const reel::Error&) {
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  try {
    const auto v = reel::provenance::cbor_decode(in);
    (void)reel::provenance::cbor_encode(v);
  } catch (const reel::Error&) {
  }
  try {
    const auto box = reel::provenance::jumbf_read(in);
    decode_contents(box);
    (void)reel::provenance::jumbf_write(box);
  } catch (const reel::Error&) {
  }
  // verify_bytes reports problems as status codes; it must not throw for content.
  const auto png = reel::provenance::verify_bytes(png_with_store(in));
  const auto mp4 = reel::provenance::verify_bytes(mp4_with_store(in));
  // The same bytes as a provider's file arriving with its own store: never a throw.
  (void)reel::provenance::read_source_credentials(png_with_store(in), "fuzz", "image/png");
  (void)reel::provenance::read_source_credentials(mp4_with_store(in), "fuzz", "video/mp4");
  (void)png.text();
  (void)mp4.to_json().dump();
  return 0;
}
