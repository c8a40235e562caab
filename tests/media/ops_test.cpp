#include "reel/media/ops.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "patterns.hpp"
#include "reel/core/error.hpp"
#include "reel/media/video.hpp"

namespace reel::media {
namespace {

using testing::gradient_shapes;
using testing::noise_image;

Image solid(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b, std::uint8_t a = 255) {
  Image img(w, h);
  for (std::size_t i = 0; i < img.pixel_count(); ++i) {
    std::uint8_t* p = img.u8() + i * 4;
    p[0] = r, p[1] = g, p[2] = b, p[3] = a;
  }
  return img;
}

int max_channel_diff(const Image& a, const Image& b) {
  int worst = 0;
  for (std::size_t i = 0; i < a.pixel_count() * 4; ++i)
    worst = std::max(worst, std::abs(int(a.u8()[i]) - int(b.u8()[i])));
  return worst;
}

constexpr Filter kFilters[] = {Filter::nearest, Filter::bilinear, Filter::area};

TEST(Resize, SolidColourStaysSolidForEveryFilterAndType) {
  const Image src = solid(37, 29, 10, 200, 90, 255);
  for (Filter f : kFilters)
    for (auto [w, h] : {std::pair{13, 7}, std::pair{80, 61}, std::pair{37, 29}}) {
      const Image out = resize(src, w, h, f);
      EXPECT_EQ(out.width(), w);
      EXPECT_EQ(out.height(), h);
      EXPECT_TRUE(out == solid(w, h, 10, 200, 90, 255));
      const Image outf = resize(src.to_f32(), w, h, f);
      ASSERT_EQ(outf.type(), PixelType::f32);
      EXPECT_TRUE(outf.to_u8() == solid(w, h, 10, 200, 90, 255));
    }
}

TEST(Resize, SameSizeBilinearAndAreaAreIdentityForOpaqueImages) {
  Image src = noise_image(31, 17, 4);
  for (std::size_t i = 0; i < src.pixel_count(); ++i) src.u8()[i * 4 + 3] = 255;
  for (Filter f : kFilters) EXPECT_TRUE(resize(src, 31, 17, f) == src);
}

TEST(Resize, NearestUpscaleDuplicatesPixels) {
  const Image src = noise_image(5, 4, 8);
  const Image out = resize(src, 10, 12, Filter::nearest);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 10; ++x)
      EXPECT_TRUE(
          std::equal(out.u8_pixel(x, y), out.u8_pixel(x, y) + 4, src.u8_pixel(x / 2, y / 3)));
}

TEST(Resize, AreaDownscaleAveragesBlocks) {
  // 1-pixel checkerboard of black and white: every 2x2 block averages to mid grey.
  Image src(64, 64);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      std::uint8_t v = ((x + y) % 2) ? 255 : 0;
      std::uint8_t* p = src.u8_pixel(x, y);
      p[0] = p[1] = p[2] = v, p[3] = 255;
    }
  const Image out = resize(src, 32, 32, Filter::area);
  for (std::size_t i = 0; i < out.pixel_count(); ++i) {
    EXPECT_NEAR(out.u8()[i * 4], 128, 1);
    EXPECT_EQ(out.u8()[i * 4 + 3], 255);
  }
  // Downscaling by a non-integer factor keeps the mean brightness.
  const Image odd = resize(src, 23, 19, Filter::area);
  double mean = 0;
  for (std::size_t i = 0; i < odd.pixel_count(); ++i) mean += odd.u8()[i * 4];
  EXPECT_NEAR(mean / odd.pixel_count(), 127.5, 3.0);
}

TEST(Resize, TransparentPixelsDoNotBleedDarkFringes) {
  // Left half opaque white, right half fully transparent *black*. A naive filter
  // would produce grey at the edge; an alpha-aware one keeps the colour white and
  // lowers only alpha.
  Image src(16, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) {
      std::uint8_t* p = src.u8_pixel(x, y);
      p[0] = p[1] = p[2] = p[3] = 255;
    }
  for (Filter f : {Filter::bilinear, Filter::area}) {
    const Image out = resize(src, 5, 2, f);
    bool saw_partial = false;
    for (int x = 0; x < 5; ++x) {
      const std::uint8_t* p = out.u8_pixel(x, 0);
      if (p[3] > 0) EXPECT_EQ(p[0], 255) << "x=" << x;
      saw_partial = saw_partial || (p[3] > 0 && p[3] < 255);
    }
    EXPECT_TRUE(saw_partial);  // the edge pixel straddles both halves
  }
}

TEST(Resize, PlaneBilinearKeepsALinearRamp) {
  Plane ramp(40, 10);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 40; ++x) ramp.at(x, y) = static_cast<float>(x);
  const Plane out = resize(ramp, 20, 5);
  ASSERT_EQ(out.width(), 20);
  // Output pixel centre x+0.5 maps to source centre 2x+1 - 0.5, i.e. value 2x + 0.5.
  for (int x = 0; x < 20; ++x) EXPECT_NEAR(out.at(x, 2), 2 * x + 0.5f, 1e-4f);
}

TEST(Resize, RefusesEmptySourceAndBadTargets) {
  EXPECT_THROW(resize(Image(), 10, 10), Error);
  EXPECT_THROW(resize(solid(4, 4, 0, 0, 0), 0, 10), Error);
  EXPECT_THROW(resize(solid(4, 4, 0, 0, 0), 10, kMaxImageSide + 1), Error);
}

TEST(AlphaOver, OpaqueReplacesTransparentKeepsAndHalfBlends) {
  Image bg = solid(8, 8, 0, 0, 0);
  alpha_over(bg, solid(8, 8, 200, 100, 50, 255), 0, 0);
  EXPECT_TRUE(bg == solid(8, 8, 200, 100, 50));
  alpha_over(bg, solid(8, 8, 9, 9, 9, 0), 0, 0);
  EXPECT_TRUE(bg == solid(8, 8, 200, 100, 50));
  Image black = solid(4, 4, 0, 0, 0);
  alpha_over(black, solid(4, 4, 255, 255, 255, 128), 0, 0);
  EXPECT_NEAR(black.u8()[0], 128, 1);
  EXPECT_EQ(black.u8()[3], 255);
  // opacity scales alpha: opaque white at opacity 0.5 equals 50% white.
  Image black2 = solid(4, 4, 0, 0, 0);
  alpha_over(black2, solid(4, 4, 255, 255, 255, 255), 0, 0, 0.5f);
  EXPECT_LE(max_channel_diff(black, black2), 1);
}

TEST(AlphaOver, ClipsAtEveryEdge) {
  Image bg = solid(10, 10, 0, 0, 0);
  const Image fg = solid(4, 4, 255, 0, 0);
  alpha_over(bg, fg, -2, -3);  // top-left corner: covers [0,2) x [0,1)
  alpha_over(bg, fg, 8, 9);    // bottom-right: [8,10) x [9,10)
  alpha_over(bg, fg, 100, 100);
  alpha_over(bg, fg, -100, 0);
  int red = 0;
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) {
      const bool expect = (x < 2 && y < 1) || (x >= 8 && y >= 9);
      EXPECT_EQ(bg.u8_pixel(x, y)[0], expect ? 255 : 0) << x << "," << y;
      red += bg.u8_pixel(x, y)[0] == 255;
    }
  EXPECT_EQ(red, 4);
}

TEST(AlphaOver, OverTransparentBackgroundYieldsForeground) {
  Image bg(6, 6);  // transparent black
  const Image fg = noise_image(6, 6, 21);
  alpha_over(bg, fg, 0, 0);
  for (std::size_t i = 0; i < fg.pixel_count(); ++i) {
    const std::uint8_t* p = bg.u8() + i * 4;
    const std::uint8_t* q = fg.u8() + i * 4;
    EXPECT_EQ(p[3], q[3]);
    if (q[3] > 0)
      for (int c = 0; c < 3; ++c) EXPECT_NEAR(p[c], q[c], 1);
  }
}

TEST(AlphaOver, FloatAndByteResultsAgree) {
  const Image bg = gradient_shapes(40, 30);
  const Image fg = noise_image(20, 20, 5);
  Image a = bg, b = bg.to_f32();
  alpha_over(a, fg, 7, 3, 0.8f);
  alpha_over(b, fg.to_f32(), 7, 3, 0.8f);
  EXPECT_LE(max_channel_diff(a, b.to_u8()), 2);
  EXPECT_FALSE(a == bg);
}

TEST(Psnr, KnownValues) {
  const Image a = solid(8, 8, 0, 0, 0, 255);
  EXPECT_TRUE(std::isinf(psnr(a, a)));
  const Image b = solid(8, 8, 10, 10, 10, 0);  // alpha differs: ignored
  EXPECT_NEAR(psnr(a, b), 10 * std::log10(255.0 * 255.0 / 100.0), 1e-9);
  EXPECT_NEAR(psnr(a.to_f32(), b), psnr(a, b), 1e-6);
  EXPECT_THROW(psnr(a, solid(8, 9, 0, 0, 0)), Error);
}

TEST(ContactSheet, EvenlySpacedTilesOnADarkGrid) {
  Video v;
  for (int i = 0; i < 10; ++i)
    v.frames.push_back(solid(160, 90, static_cast<std::uint8_t>(20 * i + 30), 0, 0));
  const Image sheet = contact_sheet(v, 4, 3, 80);
  // 4 columns x 3 rows of 80x45 tiles (aspect kept) with 4-pixel gaps.
  EXPECT_EQ(sheet.width(), 4 * 80 + 5 * 4);
  EXPECT_EQ(sheet.height(), 3 * 45 + 4 * 4);
  auto tile_red = [&](int col, int row) {
    return sheet.u8_pixel(4 + col * 84 + 40, 4 + row * 49 + 22)[0];
  };
  EXPECT_EQ(tile_red(0, 0), 30);           // first frame
  EXPECT_EQ(tile_red(1, 2), 20 * 9 + 30);  // 10 tiles: the last shows the last frame
  EXPECT_LT(tile_red(2, 2), 30);           // no 11th tile: background
  EXPECT_LT(sheet.u8_pixel(2, 2)[0], 40);  // dark gap
  // More tiles than frames, evenly spaced otherwise: with 12 frames, tile 5 is frame 5.
  for (int i = 10; i < 12; ++i) v.frames.push_back(solid(160, 90, 250, 0, 0));
  EXPECT_EQ(contact_sheet(v, 4, 3, 80).u8_pixel(4 + 1 * 84 + 40, 4 + 1 * 49 + 22)[0], 130);
  EXPECT_THROW(contact_sheet(Video{}), Error);
  EXPECT_THROW(contact_sheet(v, 0, 3, 80), Error);
}

}  // namespace
}  // namespace reel::media
