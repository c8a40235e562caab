// The seed-shaped C++ API end to end on the studio models, at small sizes.
#include "reel/sdk/api.hpp"

#include <gtest/gtest.h>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/ops.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;

struct SdkTest : ::testing::Test {
  testing::TempDir dir;
  std::unique_ptr<Session> session;
  void SetUp() override {
    sdk::SessionOptions o;
    o.store_root = dir / "store";
    o.sign = false;  // signing is covered by the provenance tests
    session = std::make_unique<Session>(o);
  }
  StillImage character(std::uint64_t seed = 1) {
    return character_api::generate(
        {.prompt = "female astronaut, detailed suit", .width = 320, .height = 180, .seed = seed},
        *session);
  }
  StillImage mars() {
    return environment_api::generate(
        {.prompt = "surface of Mars, red planet, dust storm in distance",
         .width = 320,
         .height = 180,
         .seed = 1},
        *session);
  }
  VideoClip film(const StillImage& c, const StillImage& b, const std::string& motion) {
    return animator_api::animate_from_image(
        {.base_image = c, .background = b, .motion = motion, .duration = 1.0, .fps = 12}, *session);
  }
};

TEST_F(SdkTest, SavesAnMp4WithItsCostReport) {
  auto v = film(character(), mars(), "subtle head turn, looking towards the horizon");
  EXPECT_EQ(v.width(), 320);
  EXPECT_EQ(v.height(), 180);
  EXPECT_EQ(v.frame_count(), 12);
  EXPECT_DOUBLE_EQ(v.fps(), 12.0);
  auto cost_file = v.save(dir / "film.mp4", *session);
  EXPECT_EQ(cost_file, dir / "film.cost.json");
  media::ProbeInfo p = media::probe(dir / "film.mp4");
  EXPECT_EQ(p.frame_count, 12);
  EXPECT_EQ(p.codec, "h264");
  Json cost = Json::parse(read_file(cost_file));
  ASSERT_EQ(cost["steps"].size(), 3u);  // both stills and the animation
  EXPECT_EQ(cost["steps"][0]["step"], "character");
  EXPECT_EQ(cost["steps"][1]["step"], "environment");
  EXPECT_EQ(cost["steps"][2]["step"], "animate");
  EXPECT_THROW(v.save(dir / "film.avi", *session), Error);
}

TEST_F(SdkTest, ChangingOnlyTheMotionReusesBothStills) {
  film(character(), mars(), "subtle head turn");
  // The creator's script runs again with a new motion prompt.
  auto c = character();
  auto b = mars();
  auto v = film(c, b, "slow zoom in");
  const auto& steps = v.cost().steps;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_TRUE(steps[0].cached);
  EXPECT_TRUE(steps[1].cached);
  EXPECT_FALSE(steps[2].cached);
  EXPECT_EQ(steps[0].usd.value, 0.0);
  EXPECT_GT(v.cost().saved_usd().value, 0.0);
}

TEST_F(SdkTest, SameSeedGivesIdenticalStillsAndDecodedFrames) {
  auto c1 = character(5);
  auto v1 = film(c1, mars(), "wave");
  sdk::SessionOptions o;
  o.store_root = dir / "store2";  // a fresh store: everything recomputed
  o.sign = false;
  Session other(o);
  auto c2 = character_api::generate(
      {.prompt = "female astronaut, detailed suit", .width = 320, .height = 180, .seed = 5}, other);
  EXPECT_EQ(c1.image(), c2.image());
  EXPECT_EQ(c1.artifact().key, c2.artifact().key);
  auto b2 =
      environment_api::generate({.prompt = "surface of Mars, red planet, dust storm in distance",
                                 .width = 320,
                                 .height = 180,
                                 .seed = 1},
                                other);
  auto v2 = animator_api::animate_from_image(
      {.base_image = c2, .background = b2, .motion = "wave", .duration = 1.0, .fps = 12}, other);
  ASSERT_EQ(v1.frames().frames.size(), v2.frames().frames.size());
  for (std::size_t i = 0; i < v1.frames().frames.size(); ++i)
    ASSERT_EQ(v1.frames().frames[i], v2.frames().frames[i]) << "frame " << i;
  EXPECT_EQ(read_file(v1.artifact().file), read_file(v2.artifact().file));  // byte-identical MP4
  auto c3 = character(6);
  EXPECT_FALSE(c1.image() == c3.image());
}

TEST_F(SdkTest, BadInputIsAClearError) {
  auto expect_invalid = [](auto fn, const std::string& part) {
    try {
      fn();
      ADD_FAILURE() << "expected an error mentioning " << part;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_invalid([&] { character_api::generate({.prompt = ""}, *session); }, "empty");
  expect_invalid([&] { character_api::generate({.prompt = std::string(10 << 20, 'x')}, *session); },
                 "at most");
  auto c = character();
  expect_invalid(
      [&] {
        animator_api::animate_from_image({.base_image = c, .motion = "nod", .duration = -1},
                                         *session);
      },
      "duration");
  expect_invalid(
      [&] {
        animator_api::animate_from_image({.base_image = c, .motion = "nod", .fps = 0}, *session);
      },
      "fps");
  expect_invalid([&] { animator_api::animate_from_image({.motion = "nod"}, *session); },
                 "base_image");
  testing::TempDir d;
  write_file_atomic(d / "not_an_image.png", std::string_view("hello"));
  expect_invalid([&] { StillImage::from_file(d / "not_an_image.png", *session); }, "");
  // A still is a PNG (its Content Credentials live in the PNG): another name is refused,
  // and nothing is written under it.
  expect_invalid([&] { c.save(d / "x.jpg", *session); }, "must end in .png");
  EXPECT_FALSE(fs::exists(d / "x.jpg"));
}

TEST_F(SdkTest, UnrecognisedWordsAreReportedNotIgnored) {
  auto c = character_api::generate(
      {.prompt = "astronaut with a flurbish glorp", .width = 160, .height = 90}, *session);
  bool found = false;
  for (auto& n : c.notes()) found = found || n.find("flurbish") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST_F(SdkTest, ExtraReachesTheModelAndItsCacheKey) {
  auto c = character();
  auto b = mars();  // a dust storm: studio-animator adds ambient dust unless told not to
  auto with_dust = film(c, b, "subtle head turn");
  auto calm = animator_api::animate_from_image({.base_image = c,
                                                .background = b,
                                                .motion = "subtle head turn",
                                                .duration = 1.0,
                                                .fps = 12,
                                                .extra = {{"ambient_weather", false}}},
                                               *session);
  auto mentions_weather = [](const VideoClip& v) {
    for (const auto& n : v.notes())
      if (n.find("ambient_weather") != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(mentions_weather(with_dust));
  EXPECT_FALSE(mentions_weather(calm));
  // extra is part of the step, so of its cache key.
  EXPECT_NE(calm.cost().steps.back().key, with_dust.cost().steps.back().key);
  EXPECT_THROW(animator_api::animate_from_image(
                   {.base_image = c, .duration = 0.5, .fps = 12, .extra = Json::array()}, *session),
               Error);
}

TEST_F(SdkTest, CancellingAMidRenderCallStopsItAndStoresNoClip) {
  auto c = character();
  auto b = mars();
  const std::size_t before = session->store().list().size();
  CancelToken cancel;
  int progress_after_cancel = 0;
  session->options().on_event = [&](const pipeline::Event& e) {
    if (e.kind != pipeline::EventKind::step_progress || e.step != "animate") return;
    if (cancel.cancelled()) ++progress_after_cancel;
    cancel.cancel();  // at the first frame: the render is under way
  };
  try {
    animator_api::animate_from_image(
        {.base_image = c, .background = b, .duration = 20.0, .fps = 24, .cancel = cancel},
        *session);
    FAIL() << "a cancelled call returned a clip";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Cancelled) << e.what();
  }
  // Frames are rendered a few at a time: at most a batch more reports progress.
  EXPECT_LT(progress_after_cancel, 8);
  EXPECT_EQ(session->store().list().size(), before);
}

}  // namespace
}  // namespace reel
