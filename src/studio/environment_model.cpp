// studio-environment: the TextToImage model over the procedural renderer. Reads
// the prompt into an EnvSpec, validates the request, renders, and reports depth,
// the key light and every word it did not use.
#include <algorithm>
#include <cctype>

#include "reel/core/error.hpp"
#include "reel/model/limits.hpp"
#include "reel/studio/environment.hpp"
#include "reel/studio/vocabulary.hpp"
#include "studio/environment_render.hpp"
#include "studio/studio_card.hpp"

namespace reel::studio {
namespace {

model::ModelCard environment_card() {
  model::ModelCard c = studio_card("studio-environment", "reel studio environment (procedural)",
                                   model::Task::text_to_image);
  // 2: prompts naming no drawable scene are refused; a still cached under 1 for such a
  // prompt must not be served instead.
  c.version = "2";
  // Measured with tests/studio/environment_dump_test.cpp (REEL_ENV_DUMP) on the
  // shared 2-core development VM, best of 3 wall times per still: 1280x720
  // takes 0.07 s (studio) to 0.45 s (Mars with a dust storm), 0.31 s/MP on
  // average; 3840x2160 about 0.9 s/MP (finer noise octaves per pixel). The figure
  // below sits between the two so estimates err on the long side.
  c.cost.device = "cpu";
  c.cost.setup_seconds = 0.01;
  c.cost.seconds_per_megapixel = 0.6;
  c.cost.measured_on = "2-core x86-64 VM (shared), -O2 -march=native; 720p 0.31 s/MP, 4K 0.9 s/MP";
  c.description =
      "Procedural environment stills from prompts: Mars, desert, forest, beach, city street, "
      "snowy mountains, outer space and a studio cyclorama; dawn/noon/sunset/night; clear, "
      "dust storm, fog, rain or snow. A prompt naming no such scene is refused unless "
      "extra.substitute is true (vocabulary: docs/studio.md). Returns RGB, depth in metres from "
      "the camera (sky and "
      "anything past the far plane = 1e4; planets in space = 9500) and the key light.";
  return c;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

// The `extra` keys studio-environment reads (`substitute`: draw the closest scene instead
// of refusing): the pre-flight check and the run refuse others by this one list.
const std::vector<std::string> kExtraKeys = {"substitute"};

class EnvironmentModel final : public model::TextToImage {
 public:
  EnvironmentModel() : card_(environment_card()) {}
  const model::ModelCard& card() const override { return card_; }

  void check(const model::PlannedCall& call) const override {
    model::check_extra_keys(card_.id, call.params, kExtraKeys);
    if (call.task == model::Task::text_to_image)
      check_scene(env::parse_environment_prompt(call.prompt), call.params);
  }

  model::ImageResult generate(const model::TextToImageRequest& req,
                              model::RunContext& ctx) override {
    const auto& limits = model::default_limits();
    model::check_prompt(req.prompt, limits, "studio-environment prompt");
    model::check_extra_keys(card_.id, req.params, kExtraKeys);
    std::vector<std::string> notes;
    int width = 1280, height = 720;
    std::string style = lower(req.style);
    if (style == "4k" || style == "uhd" || style == "2160p") {
      width = 3840;
      height = 2160;
    } else if (style == "1080p" || style == "hd" || style == "fullhd") {
      width = 1920;
      height = 1080;
    } else if (style == "720p") {
      width = 1280;
      height = 720;
    } else if (!style.empty()) {
      notes.push_back("style '" + req.style +
                      "' has no effect on studio-environment (sizes: 4k, 1080p, 720p)");
    }
    if (req.width != 0 || req.height != 0) {
      // One side given: keep 16:9 for the other.
      width = req.width != 0 ? req.width : static_cast<int>(req.height * 16LL / 9);
      height = req.height != 0 ? req.height : static_cast<int>(req.width * 9LL / 16);
      if (req.width < 0 || req.height < 0) width = height = 0;  // refused below
    }
    model::check_size(width, height, limits, "studio-environment size");
    if (!req.negative_prompt.empty())
      notes.push_back("negative prompt is ignored by studio-environment");
    substitute_requested(req.params, card_.id);  // refuses a non-boolean before rendering

    env::EnvSpec spec = env::parse_environment_prompt(req.prompt);
    check_scene(spec, req.params);
    ctx.check_cancelled();
    ctx.progress(0.0, "environment: " + std::string(env::to_string(spec.scene)));
    auto r = env::render_environment(spec, width, height, req.seed, [&](double f) {
      ctx.check_cancelled();
      ctx.progress(f);
    });
    ctx.progress(1.0);

    model::ImageResult out;
    out.image = std::move(r.image);
    out.depth = std::move(r.depth);
    out.light = r.light;
    out.notes = std::move(notes);
    out.notes.insert(out.notes.end(), spec.notes.begin(), spec.notes.end());
    out.metadata = {{"model", card_.id},
                    {"scene", env::to_string(spec.scene)},
                    {"time_of_day", env::to_string(spec.time)},
                    {"weather", env::to_string(spec.weather)},
                    {"intensity", spec.intensity},
                    {"weather_far", spec.far_weather},
                    {"horizon_y", r.horizon_y},
                    {"sky_depth_m", env::kSkyDepth},
                    {"depth_units", "metres from the camera"},
                    {"seed", req.seed}};
    return out;
  }

 private:
  void check_scene(const env::EnvSpec& spec, const Json& extra) const {
    if (spec.undrawable.empty() || substitute_requested(extra, card_.id)) return;
    std::vector<std::string> can_draw;
    for (const auto& g : env::scene_words()) can_draw.push_back(g.name);
    refuse_undrawable(card_.id, "scene", spec.undrawable, can_draw, spec.substitute, spec.typo_of);
  }

  model::ModelCard card_;
};

}  // namespace

std::shared_ptr<model::Model> make_environment_model() {
  return std::make_shared<EnvironmentModel>();
}

}  // namespace reel::studio
