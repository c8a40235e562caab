#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "reel/studio/animator.hpp"

namespace reel::studio {
namespace {

// A copy, so callers may pass a temporary plan.
std::optional<MotionPrimitive> find_kind(const MotionPlan& plan, const std::string& kind) {
  for (const auto& p : plan.primitives)
    if (p.kind == kind) return p;
  return std::nullopt;
}

bool notes_mention(const MotionPlan& plan, const std::string& word) {
  return std::any_of(plan.notes.begin(), plan.notes.end(),
                     [&](const std::string& n) { return n.find(word) != std::string::npos; });
}

TEST(MotionParse, EachCharacterPrimitive) {
  EXPECT_TRUE(find_kind(parse_motion("the astronaut turns his head"), "head_turn"));
  EXPECT_TRUE(find_kind(parse_motion("she nods"), "nod"));
  EXPECT_TRUE(find_kind(parse_motion("looks up"), "look_up"));
  EXPECT_TRUE(find_kind(parse_motion("looking down"), "look_down"));
  EXPECT_TRUE(find_kind(parse_motion("breathing idle"), "breathe"));
  EXPECT_TRUE(find_kind(parse_motion("waves hello"), "wave"));
  EXPECT_TRUE(find_kind(parse_motion("walks in place"), "walk"));
}

TEST(MotionParse, EachCameraPrimitive) {
  EXPECT_TRUE(find_kind(parse_motion("camera pans left"), "pan"));
  EXPECT_TRUE(find_kind(parse_motion("tilt up"), "tilt"));
  EXPECT_TRUE(find_kind(parse_motion("zoom in"), "zoom_in"));
  EXPECT_TRUE(find_kind(parse_motion("zoom out"), "zoom_out"));
  EXPECT_TRUE(find_kind(parse_motion("dolly in"), "dolly_in"));
  EXPECT_TRUE(find_kind(parse_motion("the camera pulls back"), "dolly_out"));
  EXPECT_TRUE(find_kind(parse_motion("parallax orbit"), "orbit"));
  EXPECT_TRUE(find_kind(parse_motion("handheld shake"), "shake"));
  // "pan up" is a tilt, not a sideways pan.
  const MotionPlan up = parse_motion("pan up");
  EXPECT_TRUE(find_kind(up, "tilt"));
  EXPECT_FALSE(find_kind(up, "pan"));
  // "zoom out" must not also read as a zoom in.
  EXPECT_FALSE(find_kind(parse_motion("zoom out"), "zoom_in"));
}

TEST(MotionParse, EachEnvironmentPrimitive) {
  for (const char* k : {"dust", "clouds", "rain", "snow", "fog"}) {
    SCOPED_TRACE(k);
    EXPECT_TRUE(find_kind(parse_motion(std::string(k) + " drifting"), k));
  }
  EXPECT_TRUE(find_kind(parse_motion("misty"), "fog"));
  const MotionPlan storm = parse_motion("a dust storm");
  ASSERT_TRUE(find_kind(storm, "dust"));
  EXPECT_EQ(find_kind(storm, "dust")->intensity, Intensity::strong);
  EXPECT_FALSE(find_kind(storm, "rain"));  // "storm" belongs to "dust storm" here
}

TEST(MotionParse, IntensityWords) {
  for (const char* w : {"subtle", "slight", "gentle", "slightly", "gently"}) {
    SCOPED_TRACE(w);
    const MotionPlan p = parse_motion(std::string(w) + " head turn");
    ASSERT_TRUE(find_kind(p, "head_turn"));
    EXPECT_EQ(find_kind(p, "head_turn")->intensity, Intensity::subtle);
  }
  for (const char* w : {"strong", "dramatic", "big"}) {
    SCOPED_TRACE(w);
    const MotionPlan p = parse_motion(std::string(w) + " zoom in");
    ASSERT_TRUE(find_kind(p, "zoom_in"));
    EXPECT_EQ(find_kind(p, "zoom_in")->intensity, Intensity::strong);
  }
  EXPECT_EQ(find_kind(parse_motion("nod"), "nod")->intensity, Intensity::normal);
}

TEST(MotionParse, SpeedWords) {
  EXPECT_EQ(find_kind(parse_motion("slowly pans right"), "pan")->speed, Speed::slow);
  EXPECT_EQ(find_kind(parse_motion("a quick nod"), "nod")->speed, Speed::fast);
  EXPECT_EQ(find_kind(parse_motion("fast zoom in"), "zoom_in")->speed, Speed::fast);
  EXPECT_EQ(find_kind(parse_motion("waves"), "wave")->speed, Speed::normal);
}

TEST(MotionParse, DirectionWords) {
  const std::optional<MotionPrimitive> left = find_kind(parse_motion("pan left"), "pan");
  ASSERT_TRUE(left);
  EXPECT_LT(left->direction_x, 0);
  EXPECT_EQ(left->direction, "left");
  EXPECT_GT(find_kind(parse_motion("pan right"), "pan")->direction_x, 0);
  EXPECT_GT(find_kind(parse_motion("tilt up"), "tilt")->direction_y, 0);
  EXPECT_LT(find_kind(parse_motion("tilt down"), "tilt")->direction_y, 0);
  EXPECT_LT(find_kind(parse_motion("turns her head to the left"), "head_turn")->direction_x, 0);

  // Towards the horizon: screen-right unless a side is named, gaze level or a bit down.
  const std::optional<MotionPrimitive> hz = find_kind(
      parse_motion("the astronaut slowly turns his head towards the horizon"), "head_turn");
  ASSERT_TRUE(hz);
  EXPECT_GT(hz->direction_x, 0);
  EXPECT_LE(hz->direction_y, 0);
  EXPECT_GT(hz->direction_y, -0.5f);
  EXPECT_EQ(hz->speed, Speed::slow);
  EXPECT_NE(hz->direction.find("horizon"), std::string::npos);
  const std::optional<MotionPrimitive> hz_left =
      find_kind(parse_motion("turns left towards the horizon"), "head_turn");
  ASSERT_TRUE(hz_left);
  EXPECT_LT(hz_left->direction_x, 0);

  const std::optional<MotionPrimitive> cam =
      find_kind(parse_motion("turns towards the camera"), "head_turn");
  ASSERT_TRUE(cam);
  EXPECT_EQ(cam->direction, "towards the camera");
  EXPECT_EQ(cam->direction_x, 0);
  // "looks at the camera" is a head turn too, not a look up.
  EXPECT_TRUE(find_kind(parse_motion("looks at the camera"), "head_turn"));
}

TEST(MotionParse, OneHeadTurnDescribedTwiceIsOneTurn) {
  // The demo's prompt: the second clause only adds where the head turns to.
  const MotionPlan p = parse_motion("subtle head turn, looking towards the horizon");
  int turns = 0;
  for (const auto& m : p.primitives) turns += m.kind == "head_turn";
  ASSERT_EQ(turns, 1);
  const auto t = find_kind(p, "head_turn");
  EXPECT_EQ(t->intensity, Intensity::subtle);
  EXPECT_GT(t->direction_x, 0);
  EXPECT_NE(t->direction.find("horizon"), std::string::npos);
  EXPECT_TRUE(p.notes.empty()) << p.notes.front();
  // Different sides chain as two turns.
  const MotionPlan q = parse_motion("turns left, then turns right");
  turns = 0;
  for (const auto& m : q.primitives) turns += m.kind == "head_turn";
  EXPECT_EQ(turns, 2);
}

TEST(MotionParse, ModifiersStayInTheirClause) {
  const MotionPlan p = parse_motion("turns his head slowly to the left, camera pans right quickly");
  const std::optional<MotionPrimitive> head = find_kind(p, "head_turn");
  const std::optional<MotionPrimitive> pan = find_kind(p, "pan");
  ASSERT_TRUE(head && pan);
  EXPECT_EQ(head->speed, Speed::slow);
  EXPECT_LT(head->direction_x, 0);
  EXPECT_EQ(pan->speed, Speed::fast);
  EXPECT_GT(pan->direction_x, 0);
  // A trailing clause of modifiers only refines the clause before it.
  const MotionPlan q = parse_motion("zoom in, dramatically");
  EXPECT_EQ(find_kind(q, "zoom_in")->intensity, Intensity::strong);
}

TEST(MotionParse, SeveralPrimitivesInOnePrompt) {
  const MotionPlan p = parse_motion(
      "the astronaut slowly turns his head towards the horizon while dust drifts, "
      "subtle handheld shake");
  EXPECT_TRUE(find_kind(p, "head_turn"));
  EXPECT_TRUE(find_kind(p, "dust"));
  ASSERT_TRUE(find_kind(p, "shake"));
  EXPECT_EQ(find_kind(p, "shake")->intensity, Intensity::subtle);
  EXPECT_TRUE(p.notes.empty()) << p.notes.front();
}

TEST(MotionParse, UnknownWordsAreReported) {
  const MotionPlan p = parse_motion("the astronaut nods and juggles flamingos");
  EXPECT_TRUE(find_kind(p, "nod"));
  EXPECT_TRUE(notes_mention(p, "juggles"));
  EXPECT_TRUE(notes_mention(p, "flamingos"));
  EXPECT_FALSE(notes_mention(p, "astronaut"));
  EXPECT_FALSE(notes_mention(p, "the"));
}

TEST(MotionParse, EmptyPromptIsABreathingIdleWithANote) {
  for (const char* prompt : {"", "   "}) {
    const MotionPlan p = parse_motion(prompt);
    ASSERT_EQ(p.primitives.size(), 1u);
    EXPECT_EQ(p.primitives[0].kind, "breathe");
    EXPECT_EQ(p.primitives[0].intensity, Intensity::subtle);
    ASSERT_FALSE(p.notes.empty());
    EXPECT_TRUE(notes_mention(p, "empty"));
  }
}

TEST(MotionParse, AllUnknownPromptIsABreathingIdleWithNotes) {
  const MotionPlan p = parse_motion("xylophone quantum banana");
  ASSERT_EQ(p.primitives.size(), 1u);
  EXPECT_EQ(p.primitives[0].kind, "breathe");
  EXPECT_TRUE(notes_mention(p, "xylophone"));
  EXPECT_TRUE(notes_mention(p, "breathing idle"));
}

TEST(MotionParse, IsDeterministicAndCaseInsensitive) {
  const MotionPlan a = parse_motion("Camera PANS Left, Rain");
  const MotionPlan b = parse_motion("camera pans left, rain");
  ASSERT_EQ(a.primitives.size(), b.primitives.size());
  for (std::size_t i = 0; i < a.primitives.size(); ++i) {
    EXPECT_EQ(a.primitives[i].kind, b.primitives[i].kind);
    EXPECT_EQ(a.primitives[i].direction_x, b.primitives[i].direction_x);
  }
  EXPECT_EQ(a.notes, b.notes);
}

}  // namespace
}  // namespace reel::studio
