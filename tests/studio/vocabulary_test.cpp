// docs/studio.md is what the parsers read: generated from their tables, checked here
// byte for byte, every listed word really chooses what its row says, and every
// pictured row has its picture.
#include "reel/studio/vocabulary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "character_test_util.hpp"
#include "reel/media/png.hpp"
#include "reel/studio/animator.hpp"
#include "studio/environment_spec.hpp"

namespace reel::studio {
namespace {

namespace fs = std::filesystem;

const fs::path kDocs = fs::path(REEL_SOURCE_DIR) / "docs";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const VocabularySection& section(const std::string& title) {
  static const auto all = vocabulary();
  for (const auto& s : all)
    if (s.title == title) return s;
  throw std::runtime_error("no vocabulary section " + title);
}

TEST(StudioVocabulary, DocsStudioMdIsGeneratedFromTheParsersTables) {
  const std::string want = vocabulary_markdown();
  const std::string have = read_text(kDocs / "studio.md");
  EXPECT_TRUE(have == want)
      << "docs/studio.md differs from the parsers' tables; run scripts/gen_studio_docs";
}

TEST(StudioVocabulary, EveryPicturedRowHasItsPicture) {
  int pictured = 0;
  for (const auto& s : vocabulary()) {
    if (!s.pictured) continue;
    for (const auto& g : s.groups) {
      const fs::path p = kDocs / picture_path(s.model, g.name);
      ASSERT_TRUE(fs::exists(p)) << p << " missing; run scripts/gen_studio_docs";
      media::Image img = media::read_png(p);
      EXPECT_EQ(img.width(), 256) << p;
      EXPECT_EQ(img.height(), 144) << p;
      EXPECT_LT(fs::file_size(p), 64u * 1024) << p << " is too large for the docs";
      ++pictured;
    }
  }
  // Six archetypes and eight scenes.
  EXPECT_EQ(pictured, 14);
}

TEST(StudioVocabulary, EverySubjectWordDrawsItsSubject) {
  for (const auto& g : section("Subjects").groups)
    for (const auto& w : g.words)
      EXPECT_EQ(testing::archetype_of(testing::make_character("a " + w, 1, 32, 18)), g.name) << w;
}

TEST(StudioVocabulary, EverySceneTimeAndWeatherWordChoosesItsRow) {
  for (const auto& g : section("Scenes").groups)
    for (const auto& w : g.words)
      EXPECT_EQ(env::to_string(env::parse_environment_prompt(w).scene), g.name) << w;
  for (const auto& g : section("Times of day").groups)
    for (const auto& w : g.words)
      EXPECT_EQ(env::to_string(env::parse_environment_prompt("a beach, " + w).time), g.name) << w;
  for (const auto& g : section("Weather").groups) {
    // The intensity and distance rows shape weather rather than choose it.
    bool is_weather = g.name == "clear" || g.name == "dust_storm" || g.name == "fog" ||
                      g.name == "rain" || g.name == "snow";
    if (!is_weather) continue;
    for (const auto& w : g.words)
      EXPECT_EQ(env::to_string(env::parse_environment_prompt("a city, " + w).weather), g.name) << w;
  }
}

TEST(StudioVocabulary, EveryMotionWordNamesItsPrimitive) {
  for (const char* title : {"Camera moves", "Character motions", "Environment motions"})
    for (const auto& g : section(title).groups)
      for (const auto& w : g.words) {
        MotionPlan plan = parse_motion(w);
        ASSERT_FALSE(plan.primitives.empty()) << w;
        const std::string& kind = plan.primitives.front().kind;
        if (g.name == "look")
          EXPECT_TRUE(kind == "look_up" || kind == "look_down" || kind == "head_turn") << w;
        else if (g.name == "dust_storm")
          EXPECT_EQ(kind, "dust") << w;
        else
          EXPECT_EQ(kind, g.name) << w;
      }
}

TEST(StudioVocabulary, EveryMotionModifierShapesItsClause) {
  for (const auto& g : section("Motion modifiers").groups)
    for (const auto& w : g.words) {
      SCOPED_TRACE(g.name + ": " + w);
      auto first = [&](const std::string& motion) {
        MotionPlan plan = parse_motion(motion);
        EXPECT_FALSE(plan.primitives.empty());
        return plan.primitives.empty() ? MotionPrimitive{} : plan.primitives.front();
      };
      if (g.name == "subtle" || g.name == "strong")
        EXPECT_EQ(first("nod " + w).intensity,
                  g.name == "subtle" ? Intensity::subtle : Intensity::strong);
      else if (g.name == "slow" || g.name == "fast")
        EXPECT_EQ(first("nod " + w).speed, g.name == "slow" ? Speed::slow : Speed::fast);
      else if (g.name == "left" || g.name == "right")
        EXPECT_EQ(first("pan " + w).direction, g.name);
      else if (g.name == "up" || g.name == "down")
        EXPECT_EQ(first("tilt " + w).direction, g.name);
      else
        EXPECT_EQ(first("turn " + w).direction, g.name);
    }
}

TEST(StudioVocabulary, GroundWordsChangeTheTerrain) {
  const env::EnvSpec plain = env::parse_environment_prompt("mars");
  for (const auto& g : section("Ground").groups)
    for (const auto& w : g.words) {
      const env::EnvSpec s = env::parse_environment_prompt("mars, " + w);
      if (g.name == "rocky") EXPECT_GT(s.rockiness, plain.rockiness) << w;
      if (g.name == "smooth") EXPECT_LT(s.rockiness, plain.rockiness) << w;
      if (g.name == "flat") EXPECT_LT(s.relief, plain.relief) << w;
      if (g.name == "hilly") EXPECT_GT(s.relief, plain.relief) << w;
    }
}

TEST(StudioVocabulary, ExtraKeysNameTheStudioModels) {
  auto keys = extra_keys();
  auto has = [&](const std::string& model, const std::string& key) {
    return std::any_of(keys.begin(), keys.end(),
                       [&](const ExtraKey& k) { return k.model == model && k.key == key; });
  };
  EXPECT_TRUE(has("studio-character", "substitute"));
  EXPECT_TRUE(has("studio-environment", "substitute"));
  EXPECT_TRUE(has("studio-animator", "ambient_weather"));
}

}  // namespace
}  // namespace reel::studio
