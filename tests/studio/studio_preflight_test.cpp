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

// What each model makes when the call leaves its size out is what limits are held to
// (pipeline/preflight.hpp), and it is what the run then makes.
TEST(StudioPreflight, OutputSizeIsWhatTheRunMakes) {
  model::RunContext ctx;
  struct Case {
    std::string style;
    int width, height;
    int want_w, want_h;
  };
  for (auto m : {make_character_model(), make_environment_model()})
    for (const Case& c : std::vector<Case>{{"4k", 0, 0, 3840, 2160},
                                           {"", 0, 0, 1280, 720},
                                           {"1080p", 0, 0, 1920, 1080},
                                           {"4k", 320, 0, 320, 180},
                                           {"", 0, 90, 160, 90},
                                           {"", 64, 48, 64, 48}}) {
      model::PlannedCall call;
      call.prompt = "a robot on mars";
      call.style = c.style;
      call.width = c.width;
      call.height = c.height;
      const model::Size planned = m->output_size(call);
      EXPECT_EQ(planned.width, c.want_w) << m->card().id << " " << c.style;
      EXPECT_EQ(planned.height, c.want_h) << m->card().id << " " << c.style;
      if (c.want_w > 1280) continue;  // the run itself is checked on the small sizes only
      model::TextToImageRequest r;
      r.prompt = call.prompt;
      r.style = c.style;
      r.width = c.width;
      r.height = c.height;
      auto out =
          model::as_task<model::TextToImage>(*m, model::Task::text_to_image).generate(r, ctx);
      EXPECT_EQ(out.image.width(), planned.width) << m->card().id;
      EXPECT_EQ(out.image.height(), planned.height) << m->card().id;
    }
  auto animator = make_animator_model();
  model::PlannedCall clip;
  clip.task = model::Task::image_to_video;
  EXPECT_FALSE(animator->output_size(clip).known());  // no size, inputs unknown
  clip.input_sizes = {{"image", {128, 128}}, {"background", {320, 180}}};
  EXPECT_EQ(animator->output_size(clip).width, 320);
  clip.input_sizes.erase("background");
  EXPECT_EQ(animator->output_size(clip).height, 128);
  clip.input_sizes["background"] = {};  // a background whose size is not known yet
  EXPECT_FALSE(animator->output_size(clip).known());
}

}  // namespace
}  // namespace reel::studio
