// The studio models' side of the pre-flight check: their `extra` keys are one list each,
// refused alike by Model::check (before a run) and by the run itself; an ignored negative
// prompt is said in a note, never dropped silently.
#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "reel/model/registry.hpp"
#include "reel/studio/animator.hpp"
#include "reel/studio/character.hpp"
#include "reel/studio/environment.hpp"

namespace reel::studio {
namespace {

std::string refusal(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a refusal";
  return "";
}

TEST(StudioPreflight, ExtraKeysAreRefusedBeforeAndDuringARunInTheSameWords) {
  model::PlannedCall call;
  call.params = {{"bogus_key", 1}};
  model::RunContext ctx;
  for (auto m : {make_character_model(), make_environment_model()}) {
    const std::string planned = refusal([&] { m->check(call); });
    EXPECT_EQ(planned, m->card().id + ": unknown extra key 'bogus_key'; allowed: substitute");
    model::TextToImageRequest r;
    r.prompt = "a robot on mars";
    r.width = 64;
    r.height = 36;
    r.params = call.params;
    EXPECT_EQ(refusal([&] {
                model::as_task<model::TextToImage>(*m, model::Task::text_to_image).generate(r, ctx);
              }),
              planned);
    EXPECT_NO_THROW(m->check(model::PlannedCall{}));
  }
  auto animator = make_animator_model();
  call.task = model::Task::image_to_video;
  EXPECT_NE(refusal([&] { animator->check(call); }).find("allowed: ambient_weather"),
            std::string::npos);
  call.params = {{"ambient_weather", false}};
  EXPECT_NO_THROW(animator->check(call));
}

TEST(StudioPreflight, AnIgnoredNegativePromptIsSaid) {
  model::RunContext ctx;
  for (auto m : {make_character_model(), make_environment_model()}) {
    model::TextToImageRequest r;
    r.prompt = "a robot on mars";
    r.width = 64;
    r.height = 36;
    r.negative_prompt = "blurry";
    auto out = model::as_task<model::TextToImage>(*m, model::Task::text_to_image).generate(r, ctx);
    bool said = false;
    for (const auto& n : out.notes)
      said |= n.find("negative prompt is ignored") != std::string::npos;
    EXPECT_TRUE(said) << m->card().id;
  }
}

}  // namespace
}  // namespace reel::studio
