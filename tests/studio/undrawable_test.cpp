// Honest offline models: a subject or scene a studio model cannot draw is refused
// (naming what it can draw and where to go instead) unless extra.substitute asks for
// the closest match; synonyms users type map where the model can draw them.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "character_test_util.hpp"
#include "reel/core/error.hpp"
#include "reel/studio/environment.hpp"
#include "reel/studio/prompt.hpp"
#include "studio/character_recipe.hpp"

namespace reel::studio {
namespace {

using testing::archetype_of;
using testing::joined_notes;
using testing::make_character;

const Json kSubstitute = {{"substitute", true}};

model::ImageResult make_environment(const std::string& prompt, const Json& extra = {}) {
  static auto m = make_environment_model();
  model::TextToImageRequest req;
  req.prompt = prompt;
  req.width = 64;
  req.height = 36;
  req.seed = 1;
  req.params = extra.is_null() ? Json::object() : extra;
  model::RunContext ctx;
  return dynamic_cast<model::TextToImage&>(*m).generate(req, ctx);
}

template <class F>
std::string refusal(F&& make) {
  try {
    make();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

void expect_contains(const std::string& text, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(text.find(p), std::string::npos) << p << " in: " << text;
}

// What every refusal points at: the vocabulary, hosted models, own pictures, substitute.
const std::vector<std::string> kPointers = {"docs/studio.md", "reel models", "product photo",
                                            "extra.substitute"};

TEST(Undrawable, PerfumeBottleIsRefusedByBothStillModels) {
  const std::string prompt = "product shot of a perfume bottle";
  std::string c = refusal([&] { make_character(prompt, 1, 64, 36); });
  expect_contains(c, kPointers);
  expect_contains(c, {"studio-character", "perfume", "bottle", "astronaut", "robot", "cat", "dog",
                      "woman", "man"});
  std::string e = refusal([&] { make_environment(prompt); });
  expect_contains(e, kPointers);
  expect_contains(e, {"studio-environment", "perfume", "bottle", "mars", "beach", "studio"});
}

TEST(Undrawable, PerfumeBottleRendersTheClosestMatchWithSubstitute) {
  const std::string prompt = "product shot of a perfume bottle";
  auto c = make_character(prompt, 1, 64, 36, "", kSubstitute);
  EXPECT_EQ(archetype_of(c), "astronaut");
  expect_contains(joined_notes(c), {"perfume", "bottle", "astronaut"});
  EXPECT_GT(c.image.width(), 0);

  auto e = make_environment(prompt, kSubstitute);
  EXPECT_EQ(e.metadata.at("scene"), "studio");
  std::string notes;
  for (const auto& n : e.notes) notes += n + "\n";
  expect_contains(notes, {"perfume", "no scene"});
}

TEST(Undrawable, GoldenRetrieverIsADogWithGoldenFur) {
  auto r = make_character("a golden retriever on a beach", 1, 64, 36);
  EXPECT_EQ(archetype_of(r), "dog");
  auto recipe = character::Recipe::from_json(r.metadata.at("recipe"));
  EXPECT_EQ(recipe.archetype, character::Archetype::dog);
  auto golden = *colour_from_word("golden");
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(recipe.primary[c], golden[c], 0.1f) << c;
  // The beach is the environment's business; the character model notes it, nothing else.
  std::string notes = joined_notes(r);
  EXPECT_EQ(notes.find("retriever"), std::string::npos) << notes;
  EXPECT_EQ(notes.find("closest match"), std::string::npos) << notes;
  EXPECT_EQ(make_environment("a golden retriever on a beach").metadata.at("scene"), "beach");
}

TEST(Undrawable, PetWordsAndBreedsMapToTheAnimalsDrawn) {
  for (const char* p : {"a puppy", "a hound", "a black labrador", "a corgi", "two beagles"})
    EXPECT_EQ(archetype_of(make_character(p, 1, 64, 36)), "dog") << p;
  for (const char* p : {"a kitten", "a kitty", "a grey tabby", "a siamese"})
    EXPECT_EQ(archetype_of(make_character(p, 1, 64, 36)), "cat") << p;
  EXPECT_EQ(archetype_of(make_character("a child", 1, 64, 36)), "man");
}

TEST(Undrawable, AnUnknownAnimalIsRefusedWhileItsSceneRenders) {
  std::string c = refusal([] { make_character("a giraffe on a beach", 1, 64, 36); });
  expect_contains(c, {"giraffe", "docs/studio.md"});
  EXPECT_EQ(c.find("beach,"), std::string::npos) << "beach is no subject word: " << c;
  EXPECT_EQ(make_environment("a giraffe on a beach").metadata.at("scene"), "beach");
  EXPECT_EQ(archetype_of(make_character("a giraffe on a beach", 1, 64, 36, "", kSubstitute)),
            "astronaut");
}

TEST(Undrawable, MisspellingsAreRefusedWithASuggestion) {
  expect_contains(refusal([] { make_character("an astronot", 1, 64, 36); }),
                  {"Did you mean 'astronaut'"});
  expect_contains(refusal([] { make_environment("a misty forrest"); }), {"Did you mean 'forest'"});
  EXPECT_EQ(make_environment("a misty forrest", kSubstitute).metadata.at("scene"), "forest");
}

TEST(Undrawable, DescribingWordsAloneAreNoSubject) {
  // Nothing here could name a thing: the default is drawn and a note says so.
  for (const char* p : {"a cute friendly character", "something majestic and glowing, 4k"}) {
    auto r = make_character(p, 1, 64, 36);
    EXPECT_EQ(archetype_of(r), "astronaut") << p;
    EXPECT_NE(joined_notes(r).find("astronaut"), std::string::npos) << p;
  }
  EXPECT_EQ(make_environment("at night, beautiful and calm").metadata.at("scene"), "studio");
  // With a subject named, unknown nouns are only noted: the subject is drawable.
  auto r = make_character("an astronaut holding a perfume bottle", 1, 64, 36);
  EXPECT_EQ(archetype_of(r), "astronaut");
  expect_contains(joined_notes(r), {"perfume", "bottle"});
}

TEST(Undrawable, SubstituteMustBeABoolean) {
  expect_contains(refusal([] {
                    make_character("a perfume bottle", 1, 64, 36, "", {{"substitute", "yes"}});
                  }),
                  {"extra.substitute must be true or false", "\"yes\""});
  expect_contains(refusal([] {
                    make_environment("a beach", {{"substitute", 1}});
                  }),
                  {"extra.substitute"});
  EXPECT_THROW(make_character("a perfume bottle", 1, 64, 36, "", {{"substitute", false}}), Error);
}

// Planning (--dry-run, POST /v1/jobs) asks the same question before anything runs.
TEST(Undrawable, PlanningRefusesWhatTheRunWouldRefuse) {
  for (auto make : {make_character_model, make_environment_model}) {
    auto m = make();
    SCOPED_TRACE(m->card().id);
    model::PlannedCall call;
    call.task = model::Task::text_to_image;
    call.prompt = "product shot of a perfume bottle";
    std::string e = refusal([&] { m->check(call); });
    expect_contains(e, kPointers);
    call.params = kSubstitute;
    EXPECT_NO_THROW(m->check(call));
    call.params = Json::object();
    call.prompt = "a golden retriever on a beach";
    EXPECT_NO_THROW(m->check(call));
  }
}

TEST(Undrawable, NounTestReadsEndingsNotAList) {
  for (const char* w : {"bottle", "retriever", "giraffe", "xyzzy", "table", "bed", "king"})
    EXPECT_TRUE(could_name_a_thing(w)) << w;
  for (const char* w : {"glowing", "slowly", "gorgeous", "colourful", "happy", "42", "an", "4k"})
    EXPECT_FALSE(could_name_a_thing(w)) << w;
}

}  // namespace
}  // namespace reel::studio
