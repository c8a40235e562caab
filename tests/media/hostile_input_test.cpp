// Decoders get hostile bytes: each case must end in a reel::Error with a message that
// names the input, quickly, and without allocating for sizes the file cannot hold.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>

#include "patterns.hpp"
#include "reel/core/error.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/png.hpp"
#include "support/test_dirs.hpp"

namespace reel::media {
namespace {

using reel::testing::TempDir;
using testing::gradient_shapes;
using testing::read_bytes;
using testing::write_bytes;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put_be32(std::string& s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (24 - 8 * i));
}

std::string encode_png_string() {
  auto v = encode_png(gradient_shapes(16, 8));
  return std::string(v.begin(), v.end());
}

// A valid small PNG with its IHDR rewritten to claim width x height (CRC fixed up,
// so libpng itself would accept the header).
std::string png_claiming(std::uint32_t width, std::uint32_t height) {
  std::string png = encode_png_string();
  put_be32(png, 16, width);
  put_be32(png, 20, height);
  const auto* chunk = reinterpret_cast<const std::uint8_t*>(png.data()) + 12;  // "IHDR"+data
  put_be32(png, 29, crc32(chunk, 17));
  return png;
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

template <class Fn>
Error expect_error(Fn&& fn, ErrorKind kind, const std::string& must_contain) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(e.message().find(must_contain), std::string::npos)
        << "message '" << e.message() << "' lacks '" << must_contain << "'";
    return e;
  }
  ADD_FAILURE() << "no reel::Error thrown (expected one mentioning '" << must_contain << "')";
  return Error(ErrorKind::Internal, "none");
}

TEST(HostilePng, HugeIhdrIsRefusedFastWithoutAllocating) {
  const std::string png = png_claiming(100000, 100000);
  ASSERT_EQ(crc32(reinterpret_cast<const std::uint8_t*>(png.data()) + 12, 17),
            (std::uint32_t(std::uint8_t(png[29])) << 24) |
                (std::uint32_t(std::uint8_t(png[30])) << 16) |
                (std::uint32_t(std::uint8_t(png[31])) << 8) | std::uint8_t(png[32]));
  const long rss_before = max_rss_kb();
  const auto t0 = std::chrono::steady_clock::now();
  auto e = expect_error([&] { decode_png(bytes_of(png), "huge.png"); }, ErrorKind::InvalidInput,
                        "100000x100000");
  EXPECT_NE(e.message().find("huge.png"), std::string::npos);
  EXPECT_NE(e.message().find("16384"), std::string::npos);  // names the allowed range
  // Within the per-side limit and the pixel budget, but a 10000x10000 image cannot fit in ~100
  // bytes of deflate data: refused before the 400 MB buffer exists.
  expect_error([&] { decode_png(bytes_of(png_claiming(10000, 10000)), "big.png"); },
               ErrorKind::InvalidInput, "too small");
  // Past the pixel budget though each side is allowed.
  expect_error([&] { decode_png(bytes_of(png_claiming(16384, 16384)), "budget.png"); },
               ErrorKind::InvalidInput, "pixels");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(ms, 200.0);
  EXPECT_LT(max_rss_kb() - rss_before, 64 * 1024);  // < 64 MiB grown
}

TEST(HostilePng, ZeroSizeIsRefused) {
  expect_error([] { decode_png(bytes_of(png_claiming(0, 0)), "zero.png"); },
               ErrorKind::InvalidInput, "0x0");
  expect_error([] { Image img(0, 0); }, ErrorKind::InvalidInput, "1..16384");
  expect_error([] { encode_png(Image()); }, ErrorKind::InvalidInput, "empty");
}

TEST(HostilePng, TruncatedPngFailsAtEveryLength) {
  const std::string png = encode_png_string();
  for (std::size_t n = 0; n < png.size(); n += 7) {
    SCOPED_TRACE(n);
    expect_error([&] { decode_png(bytes_of(png.substr(0, n)), "cut.png"); },
                 ErrorKind::InvalidInput, "cut.png");
  }
}

TEST(HostilePng, FlippedBytesNeverCrash) {
  const std::string good = encode_png_string();
  testing::SplitMix rng(99);
  int refused = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string png = good;
    for (int k = 0; k < 3; ++k)
      png[8 + rng.next() % (png.size() - 8)] ^= char(1 + rng.byte() % 255);
    try {
      Image img = decode_png(bytes_of(png), "flipped.png");
      EXPECT_EQ(img.width(), 16);  // a flip libpng cannot see (e.g. in an ancillary chunk)
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_NE(e.message().find("flipped.png"), std::string::npos);
      ++refused;
    }
  }
  EXPECT_GT(refused, 250);  // CRCs catch nearly every flip
}

TEST(HostileFiles, MissingFileAndDirectory) {
  TempDir dir;
  expect_error([&] { read_png(dir / "nope.png"); }, ErrorKind::NotFound, "nope.png");
  expect_error([&] { read_png(dir.path()); }, ErrorKind::InvalidInput, "directory");
  expect_error([&] { read_image(dir / "nope.jpg"); }, ErrorKind::NotFound, "nope.jpg");
  expect_error([&] { read_mp4(dir / "nope.mp4"); }, ErrorKind::NotFound, "nope.mp4");
  expect_error([&] { probe(dir / "nope.mp4"); }, ErrorKind::NotFound, "nope.mp4");
  expect_error([&] { read_mp4(dir.path()); }, ErrorKind::InvalidInput, "directory");
  expect_error([&] { probe(dir.path()); }, ErrorKind::InvalidInput, "directory");
}

TEST(HostileJpeg, TruncatedAndRandomBytes) {
  std::string jpeg = "\xFF\xD8\xFF\xE0";
  expect_error([&] { decode_jpeg(bytes_of(jpeg), "cut.jpg"); }, ErrorKind::InvalidInput, "cut.jpg");
  testing::SplitMix rng(5);
  std::string junk = "\xFF\xD8\xFF";
  for (int i = 0; i < 4000; ++i) junk += char(rng.byte());
  expect_error([&] { decode_jpeg(bytes_of(junk), "junk.jpg"); }, ErrorKind::InvalidInput,
               "junk.jpg");
  expect_error([&] { decode_jpeg(bytes_of("GIF89a"), "gif.jpg"); }, ErrorKind::InvalidInput,
               "gif.jpg");
}

class HostileMp4 : public ::testing::Test {
 protected:
  void SetUp() override {
    Video v;
    v.fps = {24, 1};
    for (int t = 0; t < 12; ++t) v.frames.push_back(gradient_shapes(64, 48, t));
    write_mp4(dir_ / "good.mp4", v, {.preset = "ultrafast"});
    good_ = read_bytes(dir_ / "good.mp4");
    ASSERT_GT(good_.size(), 1000u);
  }
  TempDir dir_;
  std::string good_;
};

TEST_F(HostileMp4, TruncatedFilesAreRefused) {
  for (double keep : {0.05, 0.5, 0.9}) {
    SCOPED_TRACE(keep);
    const auto path = dir_ / "cut.mp4";
    write_bytes(path, good_.substr(0, static_cast<std::size_t>(good_.size() * keep)));
    expect_error([&] { read_mp4(path); }, ErrorKind::InvalidInput, "cut.mp4");
  }
}

TEST_F(HostileMp4, RandomBytesAreRefused) {
  testing::SplitMix rng(17);
  std::string junk;
  for (int i = 0; i < 20000; ++i) junk += char(rng.byte());
  write_bytes(dir_ / "junk.mp4", junk);
  expect_error([&] { read_mp4(dir_ / "junk.mp4"); }, ErrorKind::InvalidInput, "junk.mp4");
  expect_error([&] { probe(dir_ / "junk.mp4"); }, ErrorKind::InvalidInput, "junk.mp4");
  write_bytes(dir_ / "empty.mp4", "");
  expect_error([&] { read_mp4(dir_ / "empty.mp4"); }, ErrorKind::InvalidInput, "empty.mp4");
}

TEST_F(HostileMp4, CorruptPayloadNeverCrashes) {
  // Flips inside the media data; the decoder must either conceal or refuse, never crash.
  testing::SplitMix rng(23);
  for (int trial = 0; trial < 10; ++trial) {
    std::string bad = good_;
    for (int k = 0; k < 20; ++k) bad[bad.size() / 3 + rng.next() % (bad.size() / 2)] ^= char(0xFF);
    write_bytes(dir_ / "bad.mp4", bad);
    try {
      Video v = read_mp4(dir_ / "bad.mp4");
      EXPECT_EQ(v.width(), 64);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
      EXPECT_NE(e.message().find("bad.mp4"), std::string::npos) << e.what();
    }
  }
}

TEST_F(HostileMp4, GiantDeclaredSizeIsRefusedBeforeDecoding) {
  // Rewrite the avc1 sample entry's width/height (16-bit fields 24 bytes into its body).
  std::string bad = good_;
  const std::size_t avc1 = bad.find("avc1", bad.find("stsd"));  // not the one in ftyp
  ASSERT_NE(avc1, std::string::npos);
  const std::size_t at = avc1 + 4 + 24;
  bad[at] = char(0x9C), bad[at + 1] = char(0x40);      // 40000
  bad[at + 2] = char(0x9C), bad[at + 3] = char(0x40);  // 40000
  write_bytes(dir_ / "giant.mp4", bad);
  const long rss_before = max_rss_kb();
  expect_error([&] { read_mp4(dir_ / "giant.mp4"); }, ErrorKind::InvalidInput, "40000x40000");
  expect_error([&] { probe(dir_ / "giant.mp4"); }, ErrorKind::InvalidInput, "giant.mp4");
  EXPECT_LT(max_rss_kb() - rss_before, 64 * 1024);
}

TEST_F(HostileMp4, LimitsAreEnforced) {
  expect_error([&] { read_mp4(dir_ / "good.mp4", {.max_frames = 5}); }, ErrorKind::InvalidInput,
               "12");
  expect_error([&] { read_mp4(dir_ / "good.mp4", {.max_total_pixels = 64 * 48 * 3}); },
               ErrorKind::InvalidInput, "pixels");
  EXPECT_EQ(read_mp4(dir_ / "good.mp4").frames.size(), 12u);
}

}  // namespace
}  // namespace reel::media
