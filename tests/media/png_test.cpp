#include "reel/media/png.hpp"

#include <gtest/gtest.h>

#include "patterns.hpp"
#include "reel/core/error.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/ops.hpp"
#include "support/test_dirs.hpp"

namespace reel::media {
namespace {

using reel::testing::run_command;
using reel::testing::TempDir;
using testing::gradient_shapes;
using testing::noise_image;

TEST(Png, RoundTripIsExactForRandomRgba) {
  const Image img = noise_image(37, 23, 7);  // odd sizes, random alpha
  const Image back = decode_png(encode_png(img));
  EXPECT_EQ(back.width(), 37);
  EXPECT_EQ(back.height(), 23);
  EXPECT_TRUE(back == img);
  EXPECT_FALSE(back.is_opaque());
}

TEST(Png, EveryCompressionLevelDecodesToTheSamePixels) {
  const Image img = gradient_shapes(64, 48);
  const auto fast = encode_png(img, {.compression_level = 1});
  const auto small = encode_png(img, {.compression_level = 9});
  EXPECT_LT(small.size(), fast.size() + 1);  // level 9 never larger than level 1 here
  EXPECT_TRUE(decode_png(fast) == img);
  EXPECT_TRUE(decode_png(small) == img);
  EXPECT_THROW(encode_png(img, {.compression_level = 10}), Error);
}

TEST(Png, FloatImagesAreWrittenAsTheirRoundedBytes) {
  Image f(4, 2, PixelType::f32);
  for (std::size_t i = 0; i < f.pixel_count() * 4; ++i) f.f32()[i] = (i % 11) / 10.0f;
  f.f32()[0] = 1.5f;   // clamped to 255
  f.f32()[1] = -0.5f;  // clamped to 0
  const Image back = decode_png(encode_png(f));
  EXPECT_TRUE(back == f.to_u8());
  EXPECT_EQ(back.u8()[0], 255);
  EXPECT_EQ(back.u8()[1], 0);
}

TEST(Png, WriteIsAtomicAndLeavesNoTemporaries) {
  TempDir dir;
  const Image img = noise_image(16, 16, 3);
  write_png(dir / "a.png", img);
  EXPECT_TRUE(read_png(dir / "a.png") == img);
  EXPECT_THROW(write_png(dir / "empty.png", Image()), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "empty.png"));
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(e.path().filename(), "a.png");
  }
  EXPECT_EQ(files, 1);
}

// An independent encoder (ffmpeg) writes every PNG colour type / bit depth, and an
// independent decoder (ffmpeg again) says what each file holds: ours must agree.
TEST(Png, ReadsEveryColourTypeAndBitDepthLikeFfmpeg) {
  TempDir dir;
  Image ref = gradient_shapes(32, 24);
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 32; ++x) ref.u8_pixel(x, y)[3] = static_cast<std::uint8_t>(x * 8);
  write_png(dir / "ref.png", ref);
  struct Case {
    const char* pix_fmt;
    bool gray;
    bool alpha;
    int tolerance;  // against ffmpeg's own decode; 16-bit reductions may round apart
  };
  const Case cases[] = {{"rgb24", false, false, 0},   {"rgba", false, true, 0},
                        {"rgb48be", false, false, 1}, {"rgba64be", false, true, 1},
                        {"gray", true, false, 0},     {"ya8", true, true, 0},
                        {"gray16be", true, false, 1}, {"ya16be", true, true, 1},
                        {"pal8", false, false, 0},    {"monob", true, false, 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pix_fmt);
    const auto out = dir / (std::string(c.pix_fmt) + ".png");
    const auto raw = dir / (std::string(c.pix_fmt) + ".rgba");
    auto r = run_command("ffmpeg -v error -y -i " + (dir / "ref.png").string() + " -pix_fmt " +
                             c.pix_fmt + " " + out.string() + " && ffmpeg -v error -y -i " +
                             out.string() + " -f rawvideo -pix_fmt rgba " + raw.string(),
                         true);
    ASSERT_EQ(r.status, 0) << r.output;
    const Image img = read_png(out);
    const std::string expected = testing::read_bytes(raw);
    ASSERT_EQ(img.width(), 32);
    ASSERT_EQ(img.height(), 24);
    ASSERT_EQ(expected.size(), img.pixel_count() * 4);
    int worst = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
      worst = std::max(worst, std::abs(int(img.u8()[i]) - int(std::uint8_t(expected[i]))));
    EXPECT_LE(worst, c.tolerance);
    bool gray_ok = true, alpha_ok = true;
    int colour_err = 0;
    for (int y = 0; y < 24; ++y)
      for (int x = 0; x < 32; ++x) {
        const std::uint8_t* p = img.u8_pixel(x, y);
        const std::uint8_t* q = ref.u8_pixel(x, y);
        gray_ok = gray_ok && (!c.gray || (p[0] == p[1] && p[1] == p[2]));
        alpha_ok = alpha_ok && std::abs(p[3] - (c.alpha ? q[3] : 255)) <= 1;
        if (!c.gray && c.alpha == true && q[3] > 0)
          for (int k = 0; k < 3; ++k) colour_err = std::max(colour_err, std::abs(p[k] - q[k]));
      }
    EXPECT_TRUE(gray_ok);
    EXPECT_TRUE(alpha_ok);
    EXPECT_LE(colour_err, 1);
  }
}

// The committed fuzz seeds cover interlacing, low bit depths, palettes with tRNS and
// 16-bit data; each must decode as ffmpeg decodes it.
TEST(Png, FuzzSeedCorpusDecodesLikeFfmpeg) {
  TempDir dir;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(REEL_SOURCE_DIR) / "fuzz/corpus/png")) {
    const auto& path = entry.path();
    if (path.extension() != ".png") continue;  // a local fuzz run adds hash-named inputs
    SCOPED_TRACE(path.filename().string());
    const Image img = read_png(path);
    const auto raw = dir / "out.rgba";
    auto r = run_command(
        "ffmpeg -v error -y -i " + path.string() + " -f rawvideo -pix_fmt rgba " + raw.string(),
        true);
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string expected = testing::read_bytes(raw);
    ASSERT_EQ(expected.size(), img.pixel_count() * 4);
    // libpng applies a gAMA chunk on the way to sRGB; ffmpeg leaves the values alone.
    const bool gamma = path.filename().string().find("gama") != std::string::npos;
    int worst = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
      worst = std::max(worst, std::abs(int(img.u8()[i]) - int(std::uint8_t(expected[i]))));
    EXPECT_LE(worst, gamma ? 255 : 1);
    ++files;
  }
  EXPECT_GE(files, 10);
}

TEST(Png, PaletteAndGrayTransparencyBecomeAlpha) {
  // 2x1 palette image: index 0 opaque red, index 1 half-transparent green (tRNS).
  const std::string plte = std::string("\xFF\x00\x00\x00\xFF\x00", 6);
  const std::string trns = std::string("\xFF\x80", 2);
  const std::string pal =
      testing::handmade_png(2, 1, 8, 3, std::string("\0\0\1", 3),
                            testing::png_chunk("PLTE", plte) + testing::png_chunk("tRNS", trns));
  const Image a =
      decode_png(std::span(reinterpret_cast<const std::uint8_t*>(pal.data()), pal.size()));
  ASSERT_EQ(a.width(), 2);
  const std::uint8_t red[4] = {255, 0, 0, 255}, green[4] = {0, 255, 0, 128};
  EXPECT_TRUE(std::equal(red, red + 4, a.u8_pixel(0, 0)));
  EXPECT_TRUE(std::equal(green, green + 4, a.u8_pixel(1, 0)));

  // 16-bit gray, 2x1, with tRNS marking value 0x1234 transparent.
  const std::string rows = std::string("\0\x12\x34\xFF\xFF", 5);
  const std::string gray = testing::handmade_png(
      2, 1, 16, 0, rows, testing::png_chunk("tRNS", std::string("\x12\x34", 2)));
  const Image g =
      decode_png(std::span(reinterpret_cast<const std::uint8_t*>(gray.data()), gray.size()));
  EXPECT_EQ(g.u8_pixel(0, 0)[3], 0);
  const std::uint8_t white[4] = {255, 255, 255, 255};
  EXPECT_TRUE(std::equal(white, white + 4, g.u8_pixel(1, 0)));
}

TEST(Png, ReadImageSniffsContentNotExtension) {
  TempDir dir;
  const Image img = noise_image(8, 8, 11);
  write_png(dir / "looks_like.jpg", img);
  EXPECT_TRUE(read_image(dir / "looks_like.jpg") == img);
  testing::write_bytes(dir / "notes.png", "just some text, not an image");
  try {
    read_image(dir / "notes.png");
    FAIL() << "text was accepted as an image";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("PNG, JPEG"), std::string::npos) << e.message();
  }
}

TEST(Jpeg, ReadsAJpegWrittenByFfmpeg) {
  TempDir dir;
  const Image ref = gradient_shapes(64, 48);
  write_png(dir / "ref.png", ref);
  auto r = run_command("ffmpeg -v error -y -i " + (dir / "ref.png").string() +
                           " -q:v 2 -pix_fmt yuvj444p " + (dir / "ref.jpg").string(),
                       true);
  ASSERT_EQ(r.status, 0) << r.output;
  const Image img = read_image(dir / "ref.jpg");
  ASSERT_EQ(img.width(), 64);
  ASSERT_EQ(img.height(), 48);
  EXPECT_TRUE(img.is_opaque());
  const double db = psnr(img, ref);
  std::printf("JPEG q2 PSNR vs source: %.2f dB\n", db);
  EXPECT_GT(db, 30.0);
  EXPECT_TRUE(read_jpeg(dir / "ref.jpg") == img);

  // Cut short: refused, not returned with a grey bottom half.
  const std::string jpeg = testing::read_bytes(dir / "ref.jpg");
  const std::string cut = jpeg.substr(0, jpeg.size() * 6 / 10);
  try {
    decode_jpeg(std::span(reinterpret_cast<const std::uint8_t*>(cut.data()), cut.size()),
                "cut.jpg");
    FAIL() << "truncated JPEG accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("cut.jpg"), std::string::npos) << e.message();
  }
  // A header claiming 16000x8000 over a few hundred bytes of scan data is refused
  // before 512 MB are allocated: patch the SOF0 size fields.
  std::string big = jpeg;
  const std::size_t sof = big.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  big[sof + 5] = char(8000 >> 8), big[sof + 6] = char(8000 & 0xFF);
  big[sof + 7] = char(16000 >> 8), big[sof + 8] = char(16000 & 0xFF);
  try {
    decode_jpeg(std::span(reinterpret_cast<const std::uint8_t*>(big.data()), big.size()),
                "big.jpg");
    FAIL() << "giant JPEG header accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("too small"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace reel::media
