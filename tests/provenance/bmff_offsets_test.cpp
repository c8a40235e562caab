// Chunk offsets (stco and co64, in every track) move by exactly the inserted box size,
// on a hand-built MP4 skeleton (no ffmpeg needed).
#include <gtest/gtest.h>

#include "prov_test_util.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel::provenance {
namespace {
using namespace reel::provenance::testing;

void be32(Bytes& b, std::uint64_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
void be64(Bytes& b, std::uint64_t v) {
  be32(b, v >> 32);
  be32(b, v & 0xFFFFFFFFu);
}
Bytes box(const char* type, const Bytes& body) {
  Bytes b;
  be32(b, body.size() + 8);
  b.insert(b.end(), type, type + 4);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}
Bytes chunk_table(bool wide, const std::vector<std::uint64_t>& offsets) {
  Bytes body = {0, 0, 0, 0};
  be32(body, offsets.size());
  for (auto o : offsets) wide ? be64(body, o) : be32(body, o);
  return box(wide ? "co64" : "stco", body);
}
Bytes track(bool wide, const std::vector<std::uint64_t>& offsets) {
  return box("trak", box("mdia", box("minf", box("stbl", chunk_table(wide, offsets)))));
}
std::uint64_t read_be(const Bytes& b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | b[at + i];
  return v;
}

TEST(BmffOffsets, StcoAndCo64EntriesMoveByTheBoxSize) {
  reel::testing::TempDir dir;
  const KeyPaths k = init_keys(dir / "keys");
  const Bytes ftyp = box("ftyp", {'i', 's', 'o', 'm', 0, 0, 2, 0, 'i', 's', 'o', 'm'});
  Bytes payload(4000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  const Bytes mdat = box("mdat", payload);
  const std::uint64_t data = ftyp.size() + 8;  // first media byte
  const Bytes moov = box("moov", [&] {
    Bytes t = track(false, {data, data + 1000, data + 3000});
    const Bytes t2 = track(true, {data + 500, data + 2500});
    t.insert(t.end(), t2.begin(), t2.end());
    return t;
  }());
  Bytes file = ftyp;
  file.insert(file.end(), mdat.begin(), mdat.end());
  file.insert(file.end(), moov.begin(), moov.end());
  write_bytes(dir / "a.mp4", file);

  sign_file(dir / "a.mp4", sample_facts("a.mp4"), {k.key_pem, k.cert_chain_pem});
  const Bytes out = read_bytes(dir / "a.mp4");
  const std::size_t uuid = read_be(out, ftyp.size(), 4);
  ASSERT_EQ(out.size(), file.size() + uuid);
  const std::size_t stco = std::string(out.begin(), out.end()).find("stco");
  const std::size_t co64 = std::string(out.begin(), out.end()).find("co64");
  ASSERT_NE(stco, std::string::npos);
  ASSERT_NE(co64, std::string::npos);
  EXPECT_EQ(read_be(out, stco + 12, 4), data + uuid);
  EXPECT_EQ(read_be(out, stco + 16, 4), data + 1000 + uuid);
  EXPECT_EQ(read_be(out, stco + 20, 4), data + 3000 + uuid);
  EXPECT_EQ(read_be(out, co64 + 12, 8), data + 500 + uuid);
  EXPECT_EQ(read_be(out, co64 + 20, 8), data + 2500 + uuid);
  // The offsets still point at the same media bytes.
  EXPECT_EQ(out[read_be(out, stco + 16, 4)], payload[1000]);
  EXPECT_EQ(out[read_be(out, co64 + 20, 8)], payload[2500]);
  EXPECT_TRUE(verify_file(dir / "a.mp4").valid);

  // Re-signing removes the old box first: offsets move by the size difference only.
  sign_file(dir / "a.mp4", sample_facts("a.mp4"), {k.key_pem, k.cert_chain_pem});
  const Bytes again = read_bytes(dir / "a.mp4");
  const std::size_t uuid2 = read_be(again, ftyp.size(), 4);
  EXPECT_EQ(read_be(again, std::string(again.begin(), again.end()).find("stco") + 12, 4),
            data + uuid2);
}

TEST(BmffOffsets, CorruptChunkTableIsRefusedNotFollowed) {
  reel::testing::TempDir dir;
  const KeyPaths k = init_keys(dir / "keys");
  Bytes table = chunk_table(false, {40});
  table[15] = 0xFF;  // entry count 255 in a table holding one entry
  Bytes file = box("ftyp", {'i', 's', 'o', 'm', 0, 0, 0, 0});
  const Bytes rest = box("moov", box("trak", box("mdia", box("minf", box("stbl", table)))));
  file.insert(file.end(), rest.begin(), rest.end());
  write_bytes(dir / "bad.mp4", file);
  EXPECT_THROW(sign_file(dir / "bad.mp4", sample_facts("bad.mp4"), {k.key_pem, k.cert_chain_pem}),
               Error);
  EXPECT_EQ(read_bytes(dir / "bad.mp4"), file);
}

}  // namespace
}  // namespace reel::provenance
