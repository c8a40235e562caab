// MP4 encode/decode, checked against an independent reader (ffprobe / ffmpeg CLI).
#include "reel/media/mp4.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "patterns.hpp"
#include "reel/core/error.hpp"
#include "reel/media/ops.hpp"
#include "support/test_dirs.hpp"

namespace reel::media {
namespace {

using reel::testing::run_command;
using reel::testing::TempDir;
using testing::gradient_shapes;

Video test_clip(int w, int h, int frames, Rational fps) {
  Video v;
  v.fps = fps;
  for (int t = 0; t < frames; ++t) v.frames.push_back(gradient_shapes(w, h, t));
  return v;
}

nlohmann::json ffprobe(const std::filesystem::path& path) {
  auto r = run_command("ffprobe -v error -count_frames -show_streams -show_format -of json " +
                       path.string());
  EXPECT_EQ(r.status, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

// Offsets of the top-level boxes of an ISO-BMFF file, by type (first occurrence).
std::map<std::string, std::uint64_t> top_level_boxes(const std::string& bytes) {
  std::map<std::string, std::uint64_t> at;
  std::uint64_t pos = 0;
  auto be = [&](std::uint64_t p, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(bytes[p + i]);
    return v;
  };
  while (pos + 8 <= bytes.size()) {
    std::uint64_t size = be(pos, 4);
    const std::string type = bytes.substr(pos + 4, 4);
    if (size == 1 && pos + 16 <= bytes.size()) size = be(pos + 8, 8);
    if (size == 0) size = bytes.size() - pos;
    at.emplace(type, pos);
    if (size < 8) break;
    pos += size;
  }
  return at;
}

struct Mp4Case {
  Rational fps;
  bool faststart;
};

class Mp4RoundTrip : public ::testing::TestWithParam<Mp4Case> {};

TEST_P(Mp4RoundTrip, FfprobeSeesWhatWeWrote) {
  const Mp4Case c = GetParam();
  TempDir dir;
  const auto path = dir / "clip.mp4";
  const int frames = 18;
  write_mp4(path, test_clip(96, 64, frames, c.fps),
            {.crf = 23, .preset = "veryfast", .faststart = c.faststart});
  const nlohmann::json j = ffprobe(path);
  ASSERT_EQ(j["streams"].size(), 1u);
  const auto& s = j["streams"][0];
  EXPECT_EQ(s["codec_name"], "h264");
  EXPECT_EQ(s["pix_fmt"], "yuv420p");
  EXPECT_EQ(s["width"], 96);
  EXPECT_EQ(s["height"], 64);
  const std::string rate = std::to_string(c.fps.num) + "/" + std::to_string(c.fps.den);
  EXPECT_EQ(s["avg_frame_rate"], rate);
  EXPECT_EQ(s["r_frame_rate"], rate);
  EXPECT_EQ(s["nb_frames"], std::to_string(frames));
  EXPECT_EQ(s["nb_read_frames"], std::to_string(frames));  // frames ffprobe decoded
  EXPECT_EQ(s["color_space"], "bt709");
  EXPECT_EQ(s["color_primaries"], "bt709");
  EXPECT_EQ(s["color_transfer"], "bt709");
  EXPECT_EQ(s["color_range"], "tv");
  const double expected_duration = frames * static_cast<double>(c.fps.den) / c.fps.num;
  EXPECT_NEAR(std::stod(j["format"]["duration"].get<std::string>()), expected_duration, 0.002);
  EXPECT_NEAR(std::stod(s["duration"].get<std::string>()), expected_duration, 0.002);

  // Our probe agrees with ffprobe.
  const ProbeInfo info = probe(path);
  EXPECT_EQ(info.width, 96);
  EXPECT_EQ(info.height, 64);
  EXPECT_EQ(info.fps, c.fps);
  EXPECT_EQ(info.frame_count, frames);
  EXPECT_NEAR(info.duration_seconds, expected_duration, 0.002);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.pixel_format, "yuv420p");
  EXPECT_NE(info.container.find("mp4"), std::string::npos);
  EXPECT_EQ(info.file_bytes, std::filesystem::file_size(path));
  EXPECT_EQ(std::to_string(info.file_bytes), j["format"]["size"].get<std::string>());

  // faststart puts the index (moov) before the media data (mdat) for streaming.
  const auto boxes = top_level_boxes(testing::read_bytes(path));
  ASSERT_TRUE(boxes.count("moov") && boxes.count("mdat"));
  if (c.faststart)
    EXPECT_LT(boxes.at("moov"), boxes.at("mdat"));
  else
    EXPECT_GT(boxes.at("moov"), boxes.at("mdat"));

  const Video back = read_mp4(path);
  EXPECT_EQ(back.frames.size(), static_cast<std::size_t>(frames));
  EXPECT_EQ(back.fps, c.fps);
}

INSTANTIATE_TEST_SUITE_P(RatesAndLayouts, Mp4RoundTrip,
                         ::testing::Values(Mp4Case{{24, 1}, true}, Mp4Case{{24, 1}, false},
                                           Mp4Case{{30000, 1001}, true},
                                           Mp4Case{{30000, 1001}, false}));

// Quality bar: at crf 18 a smooth gradient with hard-edged shapes must come back at
// better than 35 dB PSNR (RGB, every frame), which is visually lossless.
TEST(Mp4, DecodedFramesAreCloseToTheInput) {
  TempDir dir;
  const Video clip = test_clip(320, 240, 12, {24, 1});
  write_mp4(dir / "q.mp4", clip, {.crf = 18, .preset = "medium"});
  double worst = 1e9, sum = 0;
  int count = 0;
  decode_mp4(dir / "q.mp4", [&](int i, const Image& frame) {
    ASSERT_EQ(i, count);
    ASSERT_LT(i, 12);
    const double db = psnr(frame, clip.frames[i]);
    worst = std::min(worst, db);
    sum += db;
    ++count;
    EXPECT_TRUE(frame.is_opaque());
  });
  EXPECT_EQ(count, 12);
  std::printf("MP4 crf 18 medium, 320x240: PSNR mean %.2f dB, worst frame %.2f dB\n", sum / count,
              worst);
  EXPECT_GT(worst, 35.0);

  // Colour is not swapped or shifted: the yellow disc stays yellow.
  const Video back = read_mp4(dir / "q.mp4");
  const std::uint8_t* p = back.frames[0].u8_pixel(96, 120);
  EXPECT_NEAR(p[0], 240, 8);
  EXPECT_NEAR(p[1], 200, 8);
  EXPECT_NEAR(p[2], 40, 8);
}

TEST(Mp4, StreamedContactSheetEqualsTheInMemoryOne) {
  TempDir dir;
  write_mp4(dir / "s.mp4", test_clip(96, 64, 20, {24, 1}), {.preset = "ultrafast"});
  const Image streamed = contact_sheet_mp4(dir / "s.mp4", 3, 2, 48);
  EXPECT_EQ(streamed.width(), 3 * 48 + 4 * 4);
  EXPECT_EQ(streamed.height(), 2 * 32 + 3 * 4);
  EXPECT_TRUE(streamed == contact_sheet(read_mp4(dir / "s.mp4"), 3, 2, 48));
  EXPECT_THROW(contact_sheet_mp4(dir / "missing.mp4"), Error);
}

TEST(Mp4, EncodingIsDeterministic) {
  TempDir dir;
  const Video clip = test_clip(128, 96, 10, {30000, 1001});
  write_mp4(dir / "a.mp4", clip, {.preset = "fast"});
  write_mp4(dir / "b.mp4", clip, {.preset = "fast"});
  const std::string a = testing::read_bytes(dir / "a.mp4");
  EXPECT_GT(a.size(), 500u);
  EXPECT_TRUE(a == testing::read_bytes(dir / "b.mp4"));
  // And a different crf really changes the output (the comparison can fail).
  write_mp4(dir / "c.mp4", clip, {.crf = 30, .preset = "fast"});
  EXPECT_FALSE(a == testing::read_bytes(dir / "c.mp4"));
}

TEST(Mp4, OddSizesAreRefusedNamingEvenOnes) {
  TempDir dir;
  try {
    Mp4Writer w(dir / "odd.mp4", 641, 479, {24, 1});
    FAIL() << "odd size accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("640 or 642"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("478 or 480"), std::string::npos) << e.message();
  }
  EXPECT_THROW(Mp4Writer(dir / "w.mp4", 64, 64, {0, 1}), Error);
  EXPECT_THROW(Mp4Writer(dir / "w.mp4", 64, 64, {24, 1}, {.crf = 52}), Error);
  EXPECT_THROW(Mp4Writer(dir / "w.mp4", 64, 64, {24, 1}, {.preset = "warp"}), Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Mp4, UnfinishedWriterLeavesNothing) {
  TempDir dir;
  {
    Mp4Writer w(dir / "partial.mp4", 64, 48, {24, 1}, {.preset = "ultrafast"});
    for (int t = 0; t < 5; ++t) w.add_frame(gradient_shapes(64, 48, t));
    EXPECT_EQ(w.frames_written(), 5);
    EXPECT_THROW(w.add_frame(gradient_shapes(64, 50)), Error);  // wrong size
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  {
    Mp4Writer w(dir / "none.mp4", 64, 48, {24, 1});
    EXPECT_THROW(w.finish(), Error);  // no frames
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Mp4, CancelledEncodingStopsAndLeavesNothing) {
  TempDir dir;
  CancelToken cancel;
  cancel.cancel();
  try {
    write_mp4(dir / "c.mp4", test_clip(64, 48, 5, {24, 1}), {.preset = "ultrafast"}, cancel);
    FAIL() << "a cancelled encoding wrote its file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  write_mp4(dir / "d.mp4", test_clip(64, 48, 5, {24, 1}), {.preset = "ultrafast"}, CancelToken());
  EXPECT_TRUE(std::filesystem::exists(dir / "d.mp4"));
}

TEST(Mp4, StreamingWriterAcceptsFloatFramesAndCommitsOnFinish) {
  TempDir dir;
  const auto path = dir / "sub" / "f.mp4";
  Mp4Writer w(path, 64, 48, {25, 1}, {.preset = "ultrafast"});
  for (int t = 0; t < 6; ++t) w.add_frame(gradient_shapes(64, 48, t).to_f32());
  EXPECT_FALSE(std::filesystem::exists(path));  // not visible until finish()
  w.finish();
  EXPECT_TRUE(std::filesystem::exists(path));
  const auto entries = std::distance(std::filesystem::directory_iterator(path.parent_path()),
                                     std::filesystem::directory_iterator());
  EXPECT_EQ(entries, 1);  // no temporary left beside it
  const ProbeInfo info = probe(path);
  EXPECT_EQ(info.frame_count, 6);
  EXPECT_EQ(info.fps, (Rational{25, 1}));
}

}  // namespace
}  // namespace reel::media
