#include "reel/model/registry.hpp"

#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "reel/model/limits.hpp"
#include "support/test_models.hpp"

namespace reel::model {

TEST(Registry, FindsByIdAndListsIdsWhenMissing) {
  Registry r;
  r.add(testing::make_test_image_model({.id = "a"}));
  r.add(testing::make_test_video_model({.id = "v"}));
  EXPECT_EQ(r.get("a")->card().id, "a");
  EXPECT_EQ(r.find("zzz"), nullptr);
  try {
    r.get("zzz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("a, v"), std::string::npos) << e.what();
  }
  EXPECT_THROW(r.add(testing::make_test_image_model({.id = "a"})), Error);
}

TEST(Registry, PicksForATaskUnderAPolicyAndExplainsRefusals) {
  Registry r;
  r.add(testing::make_test_image_model({.id = "scraped", .training_data = TrainingData::scraped}));
  r.add(testing::make_test_image_model({.id = "clean"}));
  Constraints c;
  c.policy = [](const ModelCard& card) {
    return card.training_data == TrainingData::synthetic ? std::string() : "not synthetic";
  };
  EXPECT_EQ(r.pick(Task::text_to_image)->card().id, "scraped");
  EXPECT_EQ(r.pick(Task::text_to_image, c)->card().id, "clean");
  try {
    r.pick(Task::image_to_video, c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  Registry only_scraped;
  only_scraped.add(
      testing::make_test_image_model({.id = "s", .training_data = TrainingData::scraped}));
  try {
    only_scraped.pick(Task::text_to_image, c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("s: not synthetic"), std::string::npos) << e.what();
  }
  c.policy = nullptr;
  c.device = "cuda";
  EXPECT_THROW(r.pick(Task::text_to_image, c), Error);
}

TEST(Registry, AsTaskRefusesTheWrongInterface) {
  auto m = testing::make_test_image_model({.id = "a"});
  EXPECT_NO_THROW(as_task<TextToImage>(*m, Task::text_to_image));
  EXPECT_THROW(as_task<ImageToVideo>(*m, Task::image_to_video), Error);
}

TEST(ModelCard, JsonCarriesLicenceAndTrainingData) {
  auto m = testing::make_test_image_model({.id = "a", .licence = "MIT"});
  Json j = m->card().to_json();
  EXPECT_EQ(j["licence"], "MIT");
  EXPECT_EQ(j["training_data"], "synthetic");
  EXPECT_EQ(j["tasks"][0], "text_to_image");
  EXPECT_EQ(training_data_from_string("public-domain"), TrainingData::public_domain);
  EXPECT_THROW(training_data_from_string("vibes"), Error);
}

TEST(Limits, MessagesNameTheAllowedRange) {
  const Limits& l = default_limits();
  auto message = [](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { check_size(100000, 100000, l, "step 'x'"); }).find("16..7680"),
            std::string::npos);
  EXPECT_NE(message([&] { check_size(0, 0, l, "s"); }).find("16..7680"), std::string::npos);
  EXPECT_NE(message([&] { check_fps(0, l, "s"); }).find("1..120"), std::string::npos);
  EXPECT_NE(message([&] { check_duration(-1, 24, l, "s"); }).find("0.04..120"), std::string::npos);
  EXPECT_NE(message([&] { check_duration(100, 120, l, "s"); }).find("at most 4800"),
            std::string::npos);
  EXPECT_NE(message([&] { check_prompt(std::string(10 << 20, 'a'), l, "s"); }).find("at most 4000"),
            std::string::npos);
  EXPECT_NE(message([&] { check_prompt("  ", l, "s"); }).find("empty"), std::string::npos);
  // Characters are code points: 4000 two-byte characters (8000 bytes) fit, 4001 do not.
  std::string e_acute;
  for (int i = 0; i < 4000; ++i) e_acute += "\xc3\xa9";
  EXPECT_EQ(message([&] { check_prompt(e_acute, l, "s"); }), "no error");
  EXPECT_NE(message([&] { check_prompt(e_acute + "\xc3\xa9", l, "s"); }).find("4001 characters"),
            std::string::npos);
  EXPECT_EQ(message([&] { check_size(1280, 720, l, "s"); }), "no error");
  EXPECT_EQ(task_from_string("image_to_video"), Task::image_to_video);
  EXPECT_NE(message([&] { task_from_string("dance"); }).find("allowed: text_to_image"),
            std::string::npos);
}

}  // namespace reel::model
