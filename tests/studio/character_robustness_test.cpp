// studio-character: odd prompts, quality presets and concurrent use.
#include <gtest/gtest.h>

#include <thread>

#include "character_test_util.hpp"
#include "reel/core/error.hpp"
#include "reel/studio/character.hpp"

namespace reel::studio {
namespace {

using testing::archetype_of;
using testing::joined_notes;
using testing::make_character;

TEST(CharacterRobustness, PromptsWithoutWordsStillRenderAndSaySo) {
  for (const char* prompt : {"!!!", "??? ..."}) {
    auto r = make_character(prompt, 1, 64, 36);
    EXPECT_EQ(archetype_of(r), "astronaut") << prompt;
    EXPECT_FALSE(r.notes.empty()) << prompt;
    EXPECT_NE(joined_notes(r).find("astronaut"), std::string::npos) << prompt;
  }
  // Words in a script the parser does not read could name anything: refused unless
  // substitution is asked for, then drawn as the default with a note.
  for (const char* prompt : {"日本語のロボット", "🚀🚀"}) {
    EXPECT_THROW(make_character(prompt, 1, 64, 36), Error) << prompt;
    auto r = make_character(prompt, 1, 64, 36, "", {{"substitute", true}});
    EXPECT_EQ(archetype_of(r), "astronaut") << prompt;
    EXPECT_NE(joined_notes(r).find("astronaut"), std::string::npos) << prompt;
  }
}

TEST(CharacterRobustness, DetailAndQualityPresetsChangeThePicture) {
  auto plain = make_character("an astronaut", 4, 320, 180);
  auto detailed = make_character("an astronaut in a detailed suit", 4, 320, 180);
  auto photo = make_character("an astronaut", 4, 320, 180, "photorealistic");
  EXPECT_FALSE(plain.image == detailed.image);
  EXPECT_FALSE(plain.image == photo.image);
  // The same character underneath: the alpha silhouettes barely differ.
  int differ = 0, covered = 0;
  for (int y = 0; y < 180; ++y)
    for (int x = 0; x < 320; ++x) {
      int a = plain.image.u8_pixel(x, y)[3], b = photo.image.u8_pixel(x, y)[3];
      covered += a > 0;
      differ += (a > 127) != (b > 127);
    }
  EXPECT_LT(differ, covered / 50);
}

TEST(CharacterRobustness, ConcurrentCallsAgree) {
  model::ImageResult a, b;
  std::thread t1([&] { a = make_character("a dog", 11, 320, 180); });
  std::thread t2([&] { b = make_character("a dog", 11, 320, 180); });
  t1.join();
  t2.join();
  EXPECT_TRUE(a.image == b.image);
}

TEST(CharacterRobustness, LargeAndTinyPlacements) {
  Json recipe = make_character("a robot", 1, 64, 36).rig->recipe;
  // Much larger than the frame: only the visible part is rendered.
  Placement huge{320, 180, 160, 2000, 4000};
  CharacterLayer layer = render_character(recipe, Pose{}, huge, model::Light{});
  EXPECT_LE(layer.rgba.width(), 320);
  EXPECT_LE(layer.rgba.height(), 180);
  // A few pixels tall still gives a valid (tiny) layer.
  Placement tiny{320, 180, 160, 170, 3};
  CharacterLayer small = render_character(recipe, Pose{}, tiny, model::Light{});
  EXPECT_LE(small.rgba.height(), 8);
}

}  // namespace
}  // namespace reel::studio
