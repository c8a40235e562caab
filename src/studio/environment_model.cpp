// studio-environment: the TextToImage model over the procedural renderer. Reads
// the prompt into an EnvSpec, validates the request, renders, and reports depth,
// the key light and every word it did not use.
#include <algorithm>
#include <cctype>
#include <optional>

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

// The size a style word names (4k, 1080p, 720p and their synonyms), if it names one.
std::optional<model::Size> style_size(const std::string& style) {
  const std::string s = lower(style);
  if (s == "4k" || s == "uhd" || s == "2160p") return model::Size{3840, 2160};
  if (s == "1080p" || s == "hd" || s == "fullhd") return model::Size{1920, 1080};
  if (s == "720p") return model::Size{1280, 720};
  return std::nullopt;
}

// The still's size: the call's size (one side given keeps 16:9), else the style's, else
// 1280x720. A negative side is kept, so check_size refuses it by its own words.
model::Size scene_size(const std::string& style, int width, int height) {
  if (width != 0 || height != 0) {
    if (width < 0 || height < 0) return {0, 0};  // refused by check_size
    return {width != 0 ? width : static_cast<int>(height * 16LL / 9),
            height != 0 ? height : static_cast<int>(width * 9LL / 16)};
  }
  return style_size(style).value_or(model::Size{1280, 720});
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

  model::Size output_size(const model::PlannedCall& call) const override {
    return scene_size(call.style, call.width, call.height);
  }

  model::ImageResult generate(const model::TextToImageRequest& req,
                              model::RunContext& ctx) override {
    const auto& limits = model::default_limits();
    model::check_prompt(req.prompt, limits, "studio-environment prompt");
    model::check_extra_keys(card_.id, req.params, kExtraKeys);
    std::vector<std::string> notes;
    if (!req.style.empty() && !style_size(req.style))
      notes.push_back("style '" + req.style +
                      "' has no effect on studio-environment (sizes: 4k, 1080p, 720p)");
    const auto [width, height] = scene_size(req.style, req.width, req.height);
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
