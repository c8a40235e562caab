#include <gtest/gtest.h>

#include <string>

// Private header: the prompt reader is tested directly, not only through images.
#include "studio/environment_spec.hpp"

using reel::studio::env::parse_environment_prompt;
using reel::studio::env::Scene;
using reel::studio::env::TimeOfDay;
using reel::studio::env::Weather;

namespace {

bool notes_mention(const reel::studio::env::EnvSpec& s, const std::string& word) {
  for (const auto& n : s.notes)
    if (n.find(word) != std::string::npos) return true;
  return false;
}

TEST(EnvironmentPrompt, ScenesAndSynonyms) {
  struct Case {
    const char* prompt;
    Scene scene;
  };
  const Case cases[] = {
      {"mars", Scene::mars},
      {"a red, rocky Martian plain", Scene::mars},
      {"the red planet at dawn", Scene::mars},
      {"sand dunes in the desert", Scene::desert},
      {"the Sahara", Scene::desert},
      {"a dense pine forest", Scene::forest},
      {"quiet woods", Scene::forest},
      {"a jungle", Scene::forest},
      {"a tropical beach", Scene::beach},
      {"the ocean", Scene::beach},
      {"by the sea shore", Scene::beach},
      {"a city street", Scene::city},
      {"downtown avenue", Scene::city},
      {"urban buildings", Scene::city},
      {"snowy mountains", Scene::mountains},
      {"snow capped mountain peaks", Scene::mountains},
      {"the alps", Scene::mountains},
      {"outer space", Scene::space},
      {"a colourful nebula in deep space", Scene::space},
      {"a galaxy", Scene::space},
      {"plain studio backdrop", Scene::studio},
      {"seamless cyclorama", Scene::studio},
  };
  for (const auto& c : cases) {
    auto s = parse_environment_prompt(c.prompt);
    EXPECT_EQ(s.scene, c.scene) << c.prompt;
  }
}

TEST(EnvironmentPrompt, FirstMentionedSceneWins) {
  EXPECT_EQ(parse_environment_prompt("mars studio").scene, Scene::mars);
  EXPECT_EQ(parse_environment_prompt("a forest by the beach").scene, Scene::forest);
}

TEST(EnvironmentPrompt, TimeOfDay) {
  EXPECT_EQ(parse_environment_prompt("a beach").time, TimeOfDay::noon);
  EXPECT_EQ(parse_environment_prompt("a beach at sunrise").time, TimeOfDay::dawn);
  EXPECT_EQ(parse_environment_prompt("a beach at dawn").time, TimeOfDay::dawn);
  EXPECT_EQ(parse_environment_prompt("a beach at midday").time, TimeOfDay::noon);
  EXPECT_EQ(parse_environment_prompt("a beach at sunset").time, TimeOfDay::sunset);
  EXPECT_EQ(parse_environment_prompt("a beach at dusk").time, TimeOfDay::sunset);
  EXPECT_EQ(parse_environment_prompt("a beach at night").time, TimeOfDay::night);
  EXPECT_EQ(parse_environment_prompt("a moonlit beach").time, TimeOfDay::night);
}

TEST(EnvironmentPrompt, Weather) {
  auto s = parse_environment_prompt("a red, rocky Martian plain with a dust storm on the horizon");
  EXPECT_EQ(s.scene, Scene::mars);
  EXPECT_EQ(s.weather, Weather::dust_storm);
  EXPECT_TRUE(s.far_weather);
  EXPECT_GT(s.rockiness, 1.0f);
  EXPECT_TRUE(s.notes.empty()) << s.notes.front();

  EXPECT_EQ(parse_environment_prompt("mars with a storm").weather, Weather::dust_storm);
  EXPECT_EQ(parse_environment_prompt("a city street in a storm").weather, Weather::rain);
  EXPECT_EQ(parse_environment_prompt("a foggy forest").weather, Weather::fog);
  EXPECT_EQ(parse_environment_prompt("a city street in the rain").weather, Weather::rain);
  EXPECT_EQ(parse_environment_prompt("a forest with falling snow").weather, Weather::snow);
  EXPECT_EQ(parse_environment_prompt("a clear day on mars").weather, Weather::clear);
  // "snowy mountains" is the scene, not snowfall.
  EXPECT_EQ(parse_environment_prompt("snowy mountains").weather, Weather::clear);
  EXPECT_EQ(parse_environment_prompt("snowy mountains in a blizzard").weather, Weather::snow);

  EXPECT_GT(parse_environment_prompt("heavy rain in the city").intensity, 1.0f);
  EXPECT_LT(parse_environment_prompt("light fog in the forest").intensity, 1.0f);
  EXPECT_FALSE(parse_environment_prompt("dust storm on mars").far_weather);
  EXPECT_TRUE(parse_environment_prompt("mars, dust storm in the distance").far_weather);
}

TEST(EnvironmentPrompt, UnknownWordsAreNoted) {
  auto s = parse_environment_prompt("a purple elephant on mars");
  EXPECT_EQ(s.scene, Scene::mars);
  EXPECT_TRUE(notes_mention(s, "purple"));
  EXPECT_TRUE(notes_mention(s, "elephant"));
  EXPECT_FALSE(notes_mention(s, "mars"));

  auto typo = parse_environment_prompt("a misty forrest");
  EXPECT_EQ(typo.scene, Scene::forest);
  EXPECT_TRUE(notes_mention(typo, "forrest"));
  EXPECT_TRUE(notes_mention(typo, "closest"));

  auto none = parse_environment_prompt("xyzzy plugh");
  EXPECT_EQ(none.scene, Scene::studio);
  EXPECT_TRUE(notes_mention(none, "no scene"));
  EXPECT_TRUE(notes_mention(none, "xyzzy"));
}

TEST(EnvironmentPrompt, StudioColour) {
  auto s = parse_environment_prompt("a blue studio backdrop");
  EXPECT_EQ(s.scene, Scene::studio);
  ASSERT_TRUE(s.backdrop_colour.has_value());
  EXPECT_GT((*s.backdrop_colour)[2], (*s.backdrop_colour)[0]);
  EXPECT_TRUE(s.notes.empty());
}

}  // namespace

namespace {

TEST(EnvironmentPrompt, IgnoredTimeIsNoted) {
  auto s = parse_environment_prompt("a studio backdrop at sunset");
  EXPECT_EQ(s.scene, Scene::studio);
  EXPECT_TRUE(notes_mention(s, "time of day"));
  EXPECT_TRUE(parse_environment_prompt("a forest with falling snow").notes.empty());
}

}  // namespace
