// studio-character: properties of the rendered still (colours, alpha, depth, rig,
// determinism) and of posed re-renders.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "character_test_util.hpp"
#include "reel/studio/character.hpp"

namespace reel::studio {
namespace {

using testing::make_character;

struct ColourStats {
  double saturation = 0, brightness = 0, r = 0, g = 0, b = 0;
  int count = 0;
};

// Mean HSV-style saturation/value and channel means over opaque pixels, skipping
// the pixels inside `skip`.
ColourStats opaque_stats(const media::Image& img, const model::Box* skip = nullptr) {
  ColourStats s;
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      const auto* p = img.u8_pixel(x, y);
      if (p[3] < 250) continue;
      if (skip && x >= skip->x0 && x < skip->x1 && y >= skip->y0 && y < skip->y1) continue;
      double r = p[0] / 255.0, g = p[1] / 255.0, b = p[2] / 255.0;
      double mx = std::max({r, g, b}), mn = std::min({r, g, b});
      s.saturation += mx > 0 ? (mx - mn) / mx : 0;
      s.brightness += mx;
      s.r += r, s.g += g, s.b += b;
      ++s.count;
    }
  if (s.count) {
    s.saturation /= s.count, s.brightness /= s.count;
    s.r /= s.count, s.g /= s.count, s.b /= s.count;
  }
  return s;
}

TEST(CharacterRender, SameSeedIsIdenticalOtherSeedsDiffer) {
  auto a = make_character("an astronaut", 7);
  auto b = make_character("an astronaut", 7);
  auto c = make_character("an astronaut", 8);
  EXPECT_TRUE(a.image == b.image);
  EXPECT_TRUE(*a.depth == *b.depth);
  EXPECT_EQ(a.rig->to_json(), b.rig->to_json());
  EXPECT_FALSE(a.image == c.image);
  auto d = make_character("a cat", 1), e = make_character("a cat", 2);
  EXPECT_FALSE(d.image == e.image);
}

TEST(CharacterRender, AstronautIsMostlyWhite) {
  auto r = make_character("an astronaut", 3, 640, 360);
  const model::RigPart* head = r.rig->find("head");
  ASSERT_NE(head, nullptr);
  ColourStats s = opaque_stats(r.image, &head->box);
  ASSERT_GT(s.count, 5000);
  EXPECT_LT(s.saturation, 0.15) << "suit should be white/grey";
  EXPECT_GT(s.brightness, 0.6);
}

TEST(CharacterRender, RedRobotIsRedDominant) {
  auto r = make_character("a red robot", 3, 640, 360);
  ColourStats s = opaque_stats(r.image);
  ASSERT_GT(s.count, 5000);
  EXPECT_GT(s.r, 1.5 * s.g);
  EXPECT_GT(s.r, 1.5 * s.b);
  auto blue = opaque_stats(make_character("a blue robot", 3, 640, 360).image);
  EXPECT_GT(blue.b, 1.3 * blue.r);
}

TEST(CharacterRender, AlphaIsAntialiasedAndDepthMatchesCoverage) {
  for (const char* prompt : {"an astronaut", "a dog"}) {
    auto r = make_character(prompt, 4, 480, 270);
    const auto& img = r.image;
    int partial = 0, opaque = 0;
    for (int y = 0; y < img.height(); ++y)
      for (int x = 0; x < img.width(); ++x) {
        int a = img.u8_pixel(x, y)[3];
        partial += a > 0 && a < 255;
        opaque += a == 255;
        float d = r.depth->at(x, y);
        ASSERT_EQ(std::isfinite(d), a > 0) << prompt << " at " << x << "," << y;
        if (a > 0) {
          EXPECT_GT(d, 0.0f);
        }
      }
    EXPECT_GT(partial, 100) << prompt;
    EXPECT_GT(opaque, 10 * partial) << prompt;
    for (auto [x, y] : {std::pair{0, 0}, {img.width() - 1, 0}, {0, img.height() - 1}})
      EXPECT_EQ(img.u8_pixel(x, y)[3], 0);
  }
}

TEST(CharacterRender, RigHasPartsWithPivotsInsideTheImage) {
  auto r = make_character("a man", 1, 640, 360);
  ASSERT_TRUE(r.rig.has_value());
  for (const char* name : {"head", "torso", "pelvis", "arm_left", "arm_right", "forearm_left",
                           "leg_left", "leg_right"}) {
    const model::RigPart* p = r.rig->find(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_GE(p->pivot_x, 0);
    EXPECT_LT(p->pivot_x, 640);
    EXPECT_GE(p->pivot_y, 0);
    EXPECT_LT(p->pivot_y, 360);
    EXPECT_GT(p->box.width(), 0) << name;
    EXPECT_GT(p->box.height(), 0) << name;
  }
  const auto* head = r.rig->find("head");
  const auto* torso = r.rig->find("torso");
  EXPECT_LT(head->box.y0 + head->box.y1, torso->box.y0 + torso->box.y1);
  EXPECT_LT(head->pivot_y, r.rig->find("leg_left")->pivot_y);
  EXPECT_EQ(head->parent, "torso");
  // The character's left arm is on the viewer's right.
  EXPECT_GT(r.rig->find("arm_left")->pivot_x, r.rig->find("arm_right")->pivot_x);

  auto cat = make_character("a cat", 1, 640, 360);
  for (const char* name : {"head", "torso", "tail", "leg_front_left", "leg_back_right"})
    EXPECT_NE(cat.rig->find(name), nullptr) << name;
}

TEST(CharacterRender, NeutralReRenderMatchesTheStill) {
  auto r = make_character("a detailed suit astronaut", 9, 480, 270);
  const Json& pm = r.metadata.at("placement");
  Placement pl{480, 270, pm.at("foot_x").get<float>(), pm.at("foot_y").get<float>(),
               pm.at("height").get<float>()};
  model::Light light = model::Light::from_json(r.metadata.at("light"));
  CharacterLayer layer = render_character(r.rig->recipe, Pose{}, pl, light);
  media::Image u8 = layer.rgba.to_u8();
  int covered = 0;
  for (int y = 0; y < u8.height(); ++y)
    for (int x = 0; x < u8.width(); ++x) {
      const auto* a = u8.u8_pixel(x, y);
      const auto* b = r.image.u8_pixel(x + layer.offset_x, y + layer.offset_y);
      for (int k = 0; k < 4; ++k) ASSERT_EQ(a[k], b[k]) << x << "," << y;
      covered += a[3] > 0;
    }
  EXPECT_GT(covered, 1000);
  EXPECT_EQ(layer.rig.to_json(), r.rig->to_json());
}

TEST(CharacterRender, HeadYawTurnsOnlyTheHead) {
  auto r = make_character("an astronaut", 2, 640, 360);
  const Json& pm = r.metadata.at("placement");
  Placement pl{640, 360, pm.at("foot_x").get<float>(), pm.at("foot_y").get<float>(),
               pm.at("height").get<float>()};
  model::Light light;
  CharacterLayer still = render_character(r.rig->recipe, Pose{}, pl, light);
  Pose turned;
  turned.head_yaw = 0.6f;
  CharacterLayer posed = render_character(r.rig->recipe, turned, pl, light);
  ASSERT_EQ(still.offset_x, posed.offset_x);
  ASSERT_EQ(still.rgba.width(), posed.rgba.width());
  const model::RigPart* head = r.rig->find("head");
  const float hip_y = r.rig->find("pelvis")->pivot_y;
  int head_changed = 0, low_changed = 0, low_total = 0;
  for (int y = 0; y < still.rgba.height(); ++y)
    for (int x = 0; x < still.rgba.width(); ++x) {
      const float* a = still.rgba.f32_pixel(x, y);
      const float* b = posed.rgba.f32_pixel(x, y);
      float diff = 0;
      for (int k = 0; k < 4; ++k) diff = std::max(diff, std::fabs(a[k] - b[k]));
      int fx = x + still.offset_x, fy = y + still.offset_y;
      bool in_head =
          fx >= head->box.x0 && fx < head->box.x1 && fy >= head->box.y0 && fy < head->box.y1;
      if (in_head && diff > 0.05f) ++head_changed;
      if (fy > hip_y) {
        ++low_total;
        if (diff > 0.02f) ++low_changed;
      }
    }
  EXPECT_GT(head_changed, head->box.width() * head->box.height() / 20);
  EXPECT_LT(low_changed, low_total / 200 + 1);
  // The rig follows the pose: the head box moved or reshaped, the legs did not.
  EXPECT_EQ(posed.rig.find("leg_left")->box.x0, still.rig.find("leg_left")->box.x0);
}

TEST(CharacterRender, PosesMoveArmsLegsAndBody) {
  auto r = make_character("a robot", 2, 640, 360);
  Placement pl{640, 360, 320, 340, 300};
  model::Light light;
  CharacterLayer base = render_character(r.rig->recipe, Pose{}, pl, light);
  Pose wave;
  wave.arm_right_raise = 1.4f;
  wave.forearm_right_bend = 1.2f;
  CharacterLayer waved = render_character(r.rig->recipe, wave, pl, light);
  // A raised arm reaches above the shoulder.
  EXPECT_LT(waved.rig.find("forearm_right")->box.y0, base.rig.find("arm_right")->pivot_y);
  Pose walk;
  walk.walk_amount = 1;
  walk.walk_phase = 1.57f;
  CharacterLayer walked = render_character(r.rig->recipe, walk, pl, light);
  EXPECT_NE(walked.rig.find("shin_left")->box.y0, base.rig.find("shin_left")->box.y0);
  Pose bob;
  bob.bob = 0.05f;
  CharacterLayer up = render_character(r.rig->recipe, bob, pl, light);
  EXPECT_NEAR(up.rig.find("head")->pivot_y, base.rig.find("head")->pivot_y - 15, 0.5f);
  Pose breath;
  breath.breath = 1;
  CharacterLayer breathing = render_character(r.rig->recipe, breath, pl, light);
  EXPECT_FALSE(breathing.rgba == base.rgba);
}

TEST(CharacterRender, OffFramePlacementIsClippedNotRefused) {
  auto r = make_character("a dog", 2, 64, 36);
  Placement pl{200, 100, -500, 90, 80};
  CharacterLayer layer = render_character(r.rig->recipe, Pose{}, pl, model::Light{});
  EXPECT_GE(layer.rgba.width(), 1);
  for (std::size_t i = 0; i < layer.rgba.pixel_count(); ++i)
    EXPECT_EQ(layer.rgba.f32()[i * 4 + 3], 0);
}

}  // namespace
}  // namespace reel::studio
