#include "reel/studio/animator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <string>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/media/png.hpp"
#include "reel/studio/character.hpp"
#include "reel/studio/environment.hpp"
#include "reel/studio/noise.hpp"

namespace reel::studio {
namespace {

// A small synthetic scene: textured ground with depth growing towards a horizon
// at 40% height, and sky at infinite depth. Texture makes pans measurable.
model::ImageResult synthetic_background(int w, int h) {
  model::ImageResult r;
  r.image = media::Image(w, h);
  media::Plane depth(w, h);
  const float horizon = 0.4f * h;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = r.image.u8_pixel(x, y);
      if (y < horizon) {
        p[0] = static_cast<std::uint8_t>(150 + 60.0f * y / horizon);
        p[1] = 120;
        p[2] = 110;
        depth.at(x, y) = std::numeric_limits<float>::infinity();
      } else {
        const float n = fbm2(x * 0.08f, y * 0.08f, 7, 3);
        p[0] = static_cast<std::uint8_t>(std::clamp(150.0f + 90.0f * n, 0.0f, 255.0f));
        p[1] = static_cast<std::uint8_t>(std::clamp(70.0f + 50.0f * n, 0.0f, 255.0f));
        p[2] = static_cast<std::uint8_t>(std::clamp(40.0f + 30.0f * n, 0.0f, 255.0f));
        depth.at(x, y) = 2.0f * h / (y - horizon + 1.0f);
      }
      p[3] = 255;
    }
  r.depth = std::move(depth);
  model::Light light;
  light.direction = {-0.5f, 0.6f, 0.4f};
  light.color = {1.1f, 0.9f, 0.75f};
  light.ambient = {0.35f, 0.25f, 0.2f};
  r.light = light;
  return r;
}

// An RGBA figure with no rig: a body and a round "head" on transparency.
model::ImageResult synthetic_blob(int w, int h) {
  model::ImageResult r;
  r.image = media::Image(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float u = (x - w * 0.5f) / (w * 0.18f), v = (y - h * 0.25f) / (h * 0.12f);
      const bool head = u * u + v * v < 1;
      const bool body = std::fabs(x - w * 0.5f) < w * 0.22f && y > h * 0.35f && y < h * 0.95f;
      if (head || body) {
        std::uint8_t* p = r.image.u8_pixel(x, y);
        p[0] = head ? 230 : 60;
        p[1] = head ? 200 : 90;
        p[2] = head ? 40 : 200;
        p[3] = 255;
      }
    }
  return r;
}

model::ImageResult studio_character(int w, int h) {
  auto m = make_character_model();
  model::TextToImageRequest req;
  req.prompt = "a white-suited astronaut";
  req.width = w;
  req.height = h;
  req.seed = 3;
  model::RunContext ctx;
  return dynamic_cast<model::TextToImage&>(*m).generate(req, ctx);
}

model::VideoResult animate(const model::ImageToVideoRequest& req) {
  static auto m = make_animator_model();
  model::RunContext ctx;
  return dynamic_cast<model::ImageToVideo&>(*m).animate(req, ctx);
}

model::ImageToVideoRequest scene_request(const std::string& motion, double seconds = 0.5) {
  model::ImageToVideoRequest req;
  req.image = studio_character(160, 180);
  req.background = synthetic_background(320, 180);
  req.motion = motion;
  req.duration_seconds = seconds;
  req.fps = 12;
  req.seed = 11;
  return req;
}

// Mean absolute RGB difference over a rectangle.
double region_diff(const media::Image& a, const media::Image& b, int x0, int y0, int x1, int y1) {
  double sum = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      for (int c = 0; c < 3; ++c) sum += std::abs(a.u8_pixel(x, y)[c] - b.u8_pixel(x, y)[c]);
  return sum / ((x1 - x0) * (y1 - y0) * 3.0);
}

void expect_invalid(const model::ImageToVideoRequest& req, const std::string& word) {
  try {
    animate(req);
    FAIL() << "expected InvalidInput mentioning " << word;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    EXPECT_NE(e.message().find(word), std::string::npos) << e.message();
  }
}

TEST(Animator, CardDeclaresAProceduralModel) {
  auto m = make_animator_model();
  const auto& c = m->card();
  EXPECT_EQ(c.id, "studio-animator");
  EXPECT_EQ(c.version, "1");
  EXPECT_EQ(c.licence, "Apache-2.0");
  EXPECT_EQ(c.training_data, model::TrainingData::synthetic);
  EXPECT_EQ(c.publisher, "reel");
  EXPECT_TRUE(c.supports(model::Task::image_to_video));
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0], "cpu");
  EXPECT_GT(c.cost.seconds_per_megapixel, 0);
}

TEST(Animator, RefusesBadInput) {
  auto req = scene_request("nod");
  req.duration_seconds = -1;
  expect_invalid(req, "duration");
  req = scene_request("nod");
  req.fps = 0;
  expect_invalid(req, "fps");
  req = scene_request("nod");
  req.image.image = media::Image();
  expect_invalid(req, "empty");
  req = scene_request("nod");
  req.width = 321;
  req.height = 180;
  expect_invalid(req, "322x180");  // names the nearest even sizes
  req = scene_request("nod");
  req.background.reset();
  req.image = synthetic_blob(99, 100);
  expect_invalid(req, "even");
}

TEST(Animator, FrameCountSizeAndFormat) {
  auto req = scene_request("nod", 0.75);
  req.fps = 10;  // 7.5 frames → 8
  auto r = animate(req);
  ASSERT_EQ(r.video.frames.size(), 8u);
  EXPECT_EQ(r.video.fps.num, 10);
  EXPECT_EQ(r.video.fps.den, 1);
  for (const auto& f : r.video.frames) {
    EXPECT_EQ(f.width(), 320);
    EXPECT_EQ(f.height(), 180);
    EXPECT_EQ(f.type(), media::PixelType::u8);
    EXPECT_TRUE(f.is_opaque());
  }
  // Explicit size wins over the background's.
  req.width = 160;
  req.height = 90;
  req.duration_seconds = 0.2;
  r = animate(req);
  EXPECT_EQ(r.video.width(), 160);
  EXPECT_EQ(r.video.height(), 90);
}

TEST(Animator, IsDeterministic) {
  const auto req = scene_request("turns towards the horizon, dust drifting, handheld");
  const auto a = animate(req);
  const auto b = animate(req);
  ASSERT_EQ(a.video.frames.size(), b.video.frames.size());
  for (std::size_t i = 0; i < a.video.frames.size(); ++i)
    EXPECT_TRUE(a.video.frames[i] == b.video.frames[i]);
}

TEST(Animator, ReportsProgressAndHonoursCancellation) {
  auto m = make_animator_model();
  auto& anim = dynamic_cast<model::ImageToVideo&>(*m);
  const auto req = scene_request("nod", 0.5);
  model::RunContext ctx;
  std::vector<double> seen;
  ctx.on_progress = [&](double f, std::string_view) { seen.push_back(f); };
  anim.animate(req, ctx);
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  model::RunContext cancelled;
  cancelled.cancel.cancel();
  try {
    anim.animate(req, cancelled);
    FAIL() << "expected Cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
  }
}

TEST(Animator, CancelsMidClip) {
  auto m = make_animator_model();
  auto& anim = dynamic_cast<model::ImageToVideo&>(*m);
  const auto req = scene_request("pan left, rain", 2.0);
  model::RunContext ctx;
  int calls = 0;
  ctx.on_progress = [&](double, std::string_view) {
    if (++calls == 5) ctx.cancel.cancel();
  };
  try {
    anim.animate(req, ctx);
    FAIL() << "expected Cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
  }
  EXPECT_LT(calls, 24);  // stopped well before the 24 frames
}

TEST(Animator, OddDepthPlanesAreSurvived) {
  // Depth that is all sky, NaN, zero or negative must not crash or blank frames.
  for (float v : {std::numeric_limits<float>::infinity(), std::nanf(""), 0.0f, -3.0f}) {
    auto req = scene_request("camera pans left, dolly in, fog, dust", 0.25);
    req.background->depth = media::Plane(320, 180, v);
    const auto r = animate(req);
    ASSERT_EQ(r.video.frames.size(), 3u);
    EXPECT_TRUE(r.video.frames.back().is_opaque());
  }
  // A depth plane of the wrong size is ignored with a note.
  auto req = scene_request("camera pans left", 0.25);
  req.background->depth = media::Plane(10, 10, 1.0f);
  const auto r = animate(req);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("depth") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(Animator, NotesCarryUnknownMotionWords) {
  const auto r = animate(scene_request("nods while juggling"));
  ASSERT_FALSE(r.notes.empty());
  bool found = false;
  for (const auto& n : r.notes) found |= n.find("juggling") != std::string::npos;
  EXPECT_TRUE(found);
}

// True when the character renderer draws a turned head differently from a
// straight one; the re-render tests below rely on it.
bool renderer_follows_pose(const model::ImageToVideoRequest& req) {
  Placement pl{320, 180, 160, 160, 100};
  Pose turned;
  turned.head_yaw = 0.6f;
  turned.arm_right_raise = 2.0f;
  turned.head_pitch = 0.3f;
  return !(render_character(req.image.rig->recipe, Pose{}, pl, {}).rgba ==
           render_character(req.image.rig->recipe, turned, pl, {}).rgba);
}

TEST(Animator, HeadTurnMovesTheHead) {
  const auto req = scene_request("turns his head to the right", 1.0);
  ASSERT_TRUE(renderer_follows_pose(req)) << "studio-character must pose heads";
  const auto r = animate(req);
  ASSERT_EQ(r.metadata["character_mode"], "rerender");
  // Locate the head from the rig the character renderer reports at this placement.
  const auto& pl = r.metadata["placement"];
  Placement placement{320, 180, pl["foot_x"].get<float>(), pl["foot_y"].get<float>(),
                      pl["height"].get<float>()};
  const CharacterLayer layer =
      render_character(req.image.rig->recipe, Pose{}, placement, *req.background->light);
  const model::RigPart* head = layer.rig.find("head");
  ASSERT_NE(head, nullptr);
  const auto& first = r.video.frames.front();
  const auto& last = r.video.frames.back();
  EXPECT_GT(region_diff(first, last, head->box.x0, head->box.y0, head->box.x1, head->box.y1), 1.0);
}

TEST(Animator, BackgroundStaysStillWithoutCameraMotion) {
  const auto r = animate(scene_request("nods", 1.0));
  const auto& first = r.video.frames.front();
  // Far from the character (left edge), no camera move: identical pixels.
  for (const auto& f : r.video.frames) EXPECT_EQ(region_diff(first, f, 0, 0, 40, 180), 0.0);
}

TEST(Animator, PanMovesTheBackground) {
  const auto r = animate(scene_request("camera pans left", 1.0));
  const auto& first = r.video.frames.front();
  const auto& last = r.video.frames.back();
  EXPECT_GT(region_diff(first, last, 0, 100, 40, 180), 3.0);  // textured ground moved
  // Consecutive frames change by little: no jumps.
  for (std::size_t i = 1; i < r.video.frames.size(); ++i)
    EXPECT_LT(region_diff(r.video.frames[i - 1], r.video.frames[i], 0, 100, 40, 180), 20.0);
}

TEST(Animator, PanHasDepthParallax) {
  // The near ground moves further than the sky under a pan.
  auto req = scene_request("camera pans left", 1.0);
  const auto r = animate(req);
  const auto& a = r.video.frames.front();
  const auto& b = r.video.frames.back();
  // Sky is a vertical gradient only: horizontal shifts leave it unchanged, so
  // measure the ground near and far against the no-pan still instead.
  const double near = region_diff(a, b, 0, 160, 60, 180);
  const double far = region_diff(a, b, 0, 74, 60, 80);
  EXPECT_GT(near, far);
}

TEST(Animator, RiglessImageAnimatesItsUpperRegion) {
  model::ImageToVideoRequest req;
  req.image = synthetic_blob(160, 180);
  req.motion = "turns his head to the right";
  req.duration_seconds = 1.0;
  req.fps = 12;
  const auto r = animate(req);
  EXPECT_EQ(r.metadata["character_mode"], "warp");
  ASSERT_EQ(r.video.width(), 160);
  const auto& first = r.video.frames.front();
  const auto& last = r.video.frames.back();
  EXPECT_GT(region_diff(first, last, 0, 0, 160, 60), 1.0);  // the head region moved
  // The legs (bottom) barely move.
  EXPECT_LT(region_diff(first, last, 0, 150, 160, 180), 0.5);
}

TEST(Animator, StudioCharacterWithoutBackgroundKeepsItsLayout) {
  model::ImageToVideoRequest req;
  req.image = studio_character(160, 180);
  req.motion = "turns his head to the left";
  req.duration_seconds = 1.0;
  req.fps = 12;
  const auto r = animate(req);
  EXPECT_EQ(r.metadata["character_mode"], "rerender");
  ASSERT_EQ(r.video.width(), 160);
  ASSERT_EQ(r.video.height(), 180);
  // Frame 0 shows the character where the still has it: compare the alpha
  // bounding box of the still with the non-backdrop pixels of frame 0.
  const auto& f0 = r.video.frames.front();
  const std::uint8_t* bg = f0.u8_pixel(0, 0);  // a corner is backdrop
  int still_top = 180, frame_top = 180;
  for (int y = 0; y < 180; ++y)
    for (int x = 0; x < 160; ++x) {
      if (req.image.image.u8_pixel(x, y)[3] > 128) still_top = std::min(still_top, y);
      const std::uint8_t* p = f0.u8_pixel(x, y);
      if (std::abs(p[0] - bg[0]) + std::abs(p[1] - bg[1]) + std::abs(p[2] - bg[2]) > 30)
        frame_top = std::min(frame_top, y);
    }
  EXPECT_NEAR(frame_top, still_top, 4);
  EXPECT_GT(region_diff(r.video.frames.front(), r.video.frames.back(), 0, 0, 160, 180), 0.05);
}

TEST(Animator, RiglessImageAtAnotherAspectIsCroppedNotStretched) {
  model::ImageToVideoRequest req;
  req.image = synthetic_blob(160, 180);
  req.motion = "breathing";
  req.duration_seconds = 0.1;
  req.fps = 10;
  req.width = 320;
  req.height = 180;
  const auto r = animate(req);
  ASSERT_EQ(r.video.width(), 320);
  // The yellow head keeps its aspect (an ellipse 1.33 times wider than tall).
  int x0 = 320, x1 = 0, y0 = 180, y1 = 0;
  const auto& f = r.video.frames.front();
  for (int y = 0; y < 180; ++y)
    for (int x = 0; x < 320; ++x) {
      const std::uint8_t* p = f.u8_pixel(x, y);
      if (p[0] > 200 && p[1] > 170 && p[2] < 90) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x + 1);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y + 1);
      }
    }
  ASSERT_GT(x1, x0);
  EXPECT_NEAR(static_cast<double>(x1 - x0) / (y1 - y0), 1.33, 0.15);
}

TEST(Animator, OpaqueStillWithoutBackgroundGetsCameraMovesAndANote) {
  model::ImageToVideoRequest req;
  req.image = synthetic_background(320, 180);  // opaque, with depth
  req.motion = "zoom in, turns his head";
  req.duration_seconds = 0.5;
  req.fps = 12;
  const auto r = animate(req);
  EXPECT_EQ(r.metadata["character_mode"], "none");
  EXPECT_GT(region_diff(r.video.frames.front(), r.video.frames.back(), 0, 100, 320, 180), 1.0);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("opaque") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(Animator, RiglessImageOverABackground) {
  auto req = scene_request("nod", 0.5);
  req.image = synthetic_blob(100, 200);
  const auto r = animate(req);
  EXPECT_EQ(r.metadata["character_mode"], "warp");
  EXPECT_EQ(r.video.frames.size(), 6u);
}

TEST(Animator, RainAddsStreaks) {
  const auto dry = animate(scene_request("nod", 0.25));
  const auto wet = animate(scene_request("nod, rain", 0.25));
  // Rain lightens thin streaks: many sky pixels get brighter than the dry frame.
  int brighter = 0;
  const auto& a = dry.video.frames[1];
  const auto& b = wet.video.frames[1];
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 320; ++x) brighter += b.u8_pixel(x, y)[2] > a.u8_pixel(x, y)[2] + 8;
  EXPECT_GT(brighter, 40);
}

TEST(Animator, DustChangesPixelsOverTime) {
  const auto r = animate(scene_request("dust drifting", 1.0));
  const auto& first = r.video.frames.front();
  const auto& last = r.video.frames.back();
  // Left third of the frame: no character there, no camera; only dust moves.
  int changed = 0;
  for (int y = 60; y < 180; ++y)
    for (int x = 0; x < 100; ++x) changed += first.u8_pixel(x, y)[0] != last.u8_pixel(x, y)[0];
  EXPECT_GT(changed, 30);
}

TEST(Animator, BackgroundWeatherAddsSubtleMotionUnlessTold) {
  auto req = scene_request("nod", 0.25);
  req.background->metadata["weather"] = "dust_storm";
  auto r = animate(req);
  bool dust = false;
  for (const auto& p : r.metadata["primitives"]) dust |= p["kind"] == "dust";
  EXPECT_TRUE(dust);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.back().find("dust_storm"), std::string::npos);
  req.params["ambient_weather"] = false;
  r = animate(req);
  for (const auto& p : r.metadata["primitives"]) EXPECT_NE(p["kind"], "dust");
  EXPECT_TRUE(r.notes.empty());
}

TEST(Animator, HeadTurnIsSmoothFrameToFrame) {
  // Key renders are blended by pose distance: the change between consecutive
  // frames rises and falls with the ease curve, with no jumps at keys.
  const auto req = scene_request("turns his head to the right", 2.0);
  const auto r = animate(req);
  const int x0 = 130, y0 = 40, x1 = 190, y1 = 80;  // around the head
  std::vector<double> d;
  for (std::size_t i = 1; i < r.video.frames.size(); ++i)
    d.push_back(region_diff(r.video.frames[i - 1], r.video.frames[i], x0, y0, x1, y1));
  const double peak = *std::max_element(d.begin(), d.end());
  ASSERT_GT(peak, 0.0);
  for (std::size_t i = 1; i < d.size(); ++i)
    EXPECT_LT(std::fabs(d[i] - d[i - 1]), 0.5 * peak + 0.05);
}

TEST(Animator, EffectsAreContinuous) {
  // Snow flakes fall a few pixels per frame: consecutive frames stay close.
  const auto r = animate(scene_request("snow", 0.5));
  for (std::size_t i = 1; i < r.video.frames.size(); ++i)
    EXPECT_LT(region_diff(r.video.frames[i - 1], r.video.frames[i], 0, 0, 320, 180), 4.0);
}

TEST(Animator, EveryMoveChangesTheFrame) {
  std::vector<std::string> moves = {"tilt up",        "zoom in",   "zoom out",
                                    "dolly in",       "pull back", "orbit",
                                    "handheld shake", "clouds",    "fog"};
  for (const char* m : {"wave", "walk in place", "look up"}) moves.push_back(m);
  for (const std::string& m : moves) {
    SCOPED_TRACE(m);
    const auto r = animate(scene_request(m, 0.5));
    ASSERT_EQ(r.video.frames.size(), 6u);
    EXPECT_TRUE(r.video.frames.back().is_opaque());
    EXPECT_GT(region_diff(r.video.frames.front(), r.video.frames.back(), 0, 0, 320, 180), 0.01);
  }
}

// The demo's shape: 1280x720, 5 s at 24 fps, head turn + dust. Prints the time per
// frame; writes a few frames as PNG when REEL_ANIMATOR_FRAMES_DIR is set.
TEST(Animator, Demo720p) {
  model::ImageToVideoRequest req;
  req.image = studio_character(1280, 720);
  {
    auto env = make_environment_model();
    model::TextToImageRequest e;
    e.prompt = "a red rocky Martian plain with a dust storm on the horizon";
    e.width = 1280;
    e.height = 720;
    e.seed = 5;
    model::RunContext ctx;
    req.background = dynamic_cast<model::TextToImage&>(*env).generate(e, ctx);
  }
  req.motion = "the astronaut subtly turns his head towards the horizon, dust drifting";
  req.duration_seconds = 5.0;
  req.fps = 24;
  req.seed = 5;
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  const auto r = animate(req);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  std::printf(
      "studio-animator 1280x720x120: %.2f s wall (%.1f ms/frame), %.2f s CPU, %d character "
      "renders\n",
      s, s * 1000 / 120, cpu, r.metadata.value("character_renders", 0));
  for (const auto& n : r.notes) std::printf("note: %s\n", n.c_str());
  std::printf("%s\n", r.metadata.dump().c_str());
  ASSERT_EQ(r.video.frames.size(), 120u);
  EXPECT_EQ(r.video.width(), 1280);
  EXPECT_LT(s, 30.0);
  if (const char* dir = std::getenv("REEL_ANIMATOR_FRAMES_DIR"))
    for (int i : {0, 40, 80, 119})
      media::write_png(std::string(dir) + "/frame" + std::to_string(i) + ".png", r.video.frames[i]);
}

}  // namespace
}  // namespace reel::studio
