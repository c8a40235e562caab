// studio-character: the TextToImage front of the procedural character generator.
// It reads the prompt into a Recipe, renders the recipe in its neutral pose onto a
// transparent canvas, and hands back depth and a rig whose `recipe` lets the
// studio animator re-render the same character posed.
#include <algorithm>
#include <cmath>
#include <limits>

#include "character_recipe.hpp"
#include "character_render.hpp"
#include "reel/core/error.hpp"
#include "reel/model/limits.hpp"
#include "reel/studio/character.hpp"
#include "reel/studio/vocabulary.hpp"
#include "studio/studio_card.hpp"

namespace reel::studio {
namespace {

constexpr int kDefaultWidth = 1280;
constexpr int kDefaultHeight = 720;

model::ModelCard character_card() {
  model::ModelCard c =
      studio_card("studio-character", "Studio procedural character", model::Task::text_to_image);
  // 2: prompts naming no drawable subject are refused and breeds map to dog/cat, so a
  // still cached under 1 for the same prompt ("a golden retriever") is not what 2 draws.
  c.version = "2";
  // Measured with the character at 85% of the canvas height (the still's layout).
  c.cost = {"cpu", 0.02, 0.2,
            "wall time on a shared 2-core x86-64 VM: 1280x720 ~0.2 s, 3840x2160 ~1.2 s "
            "(default quality; photorealistic ~2-3x)"};
  c.description =
      "Procedural characters (astronaut, robot, woman, man, cat, dog) from prompts: RGBA still "
      "with antialiased alpha, depth and a poseable rig. A prompt naming another subject is "
      "refused unless extra.substitute is true (vocabulary: docs/studio.md)";
  return c;
}

// The still's light: from the upper left, in front of the character.
model::Light still_light() {
  model::Light l;
  float x = -0.5f, y = 0.7f, z = 0.55f, n = std::sqrt(x * x + y * y + z * z);
  l.direction = {x / n, y / n, z / n};
  l.color = {1.05f, 1.0f, 0.95f};
  l.ambient = {0.3f, 0.33f, 0.4f};
  return l;
}

// The still's size: the prompt's size words (4k, 1080p ...) or 1280x720, unless the call
// gives a size, which wins; a missing side keeps 16:9.
model::Size still_size(const character::ParsedPrompt& parsed, int width, int height) {
  if (width != 0 || height != 0)
    return {width != 0 ? width : static_cast<int>(std::lround(height * 16.0 / 9.0)),
            height != 0 ? height : static_cast<int>(std::lround(width * 9.0 / 16.0))};
  return {parsed.width ? parsed.width : kDefaultWidth,
          parsed.height ? parsed.height : kDefaultHeight};
}

// The `extra` keys studio-character reads (`substitute`: draw the closest match instead of
// refusing): the pre-flight check and the run refuse others by this one list.
const std::vector<std::string> kExtraKeys = {"substitute"};

class CharacterModel final : public model::TextToImage {
 public:
  const model::ModelCard& card() const override { return card_; }

  // The subject does not depend on the seed, so planning reads it with seed 0.
  void check(const model::PlannedCall& call) const override {
    model::check_extra_keys(card_.id, call.params, kExtraKeys);
    if (call.task == model::Task::text_to_image)
      check_subject(character::parse_character_prompt(call.prompt, call.style, 0), call.params);
  }

  model::Size output_size(const model::PlannedCall& call) const override {
    return still_size(character::parse_character_prompt(call.prompt, call.style, 0), call.width,
                      call.height);
  }

  model::ImageResult generate(const model::TextToImageRequest& req,
                              model::RunContext& ctx) override {
    const auto& limits = model::default_limits();
    model::check_prompt(req.prompt, limits, "studio-character prompt");
    model::check_extra_keys(card_.id, req.params, kExtraKeys);
    character::ParsedPrompt parsed =
        character::parse_character_prompt(req.prompt, req.style, req.seed);
    check_subject(parsed, req.params);
    const auto [w, h] = still_size(parsed, req.width, req.height);
    model::check_size(w, h, limits, "studio-character image size");
    ctx.check_cancelled();
    ctx.progress(0.05, "rendering character");

    const character::Recipe& recipe = parsed.recipe;
    Placement pl;
    pl.target_width = w;
    pl.target_height = h;
    pl.foot_x = w * 0.5f;
    pl.foot_y = h * 0.95f;
    pl.height = h * 0.85f * recipe.stature;
    if (character::is_quadruped(recipe.archetype)) {
      // Four-legged characters are longer than tall: fit the length instead.
      pl.height = std::min(pl.height * 0.95f, w * 0.8f);
      pl.foot_x = w * 0.48f;
    } else {
      pl.height = std::min(pl.height, w * 1.6f);
    }
    CharacterLayer layer = character::render_layer(recipe, Pose{}, pl, still_light());
    ctx.check_cancelled();

    model::ImageResult result;
    // Straight into an 8-bit canvas: a float one at 7680x7680 would need ~1 GB.
    media::Image canvas(w, h, media::PixelType::u8);
    media::Plane depth(w, h, std::numeric_limits<float>::infinity());
    media::Image layer_u8 = layer.rgba.to_u8();
    for (int y = 0; y < layer_u8.height(); ++y) {
      const std::uint8_t* src = layer_u8.u8_pixel(0, y);
      std::copy(src, src + 4 * layer_u8.width(),
                canvas.u8_pixel(layer.offset_x, layer.offset_y + y));
      for (int x = 0; x < layer_u8.width(); ++x)
        depth.at(layer.offset_x + x, layer.offset_y + y) = layer.depth.at(x, y);
    }
    result.image = std::move(canvas);
    result.depth = std::move(depth);
    result.rig = std::move(layer.rig);
    result.notes = parsed.notes;
    // Said, not refused: the seed-shaped API takes a negative prompt for every model.
    if (!req.negative_prompt.empty())
      result.notes.push_back(
          "negative prompt is ignored by studio-character (it draws only what the prompt names)");
    result.metadata = {
        {"archetype", character::to_string(recipe.archetype)},
        {"recipe", recipe.to_json()},
        {"placement", {{"foot_x", pl.foot_x}, {"foot_y", pl.foot_y}, {"height", pl.height}}},
        {"light", still_light().to_json()},
        {"depth_units",
         "character heights from an orthographic camera 4 heights in front of the character; "
         "+infinity where the character does not cover the pixel"},
    };
    ctx.progress(1.0, "done");
    return result;
  }

 private:
  void check_subject(const character::ParsedPrompt& parsed, const Json& extra) const {
    if (parsed.undrawable.empty() || substitute_requested(extra, card_.id)) return;
    std::vector<std::string> can_draw;
    for (const auto& g : character::subject_words()) can_draw.push_back(g.name);
    refuse_undrawable(card_.id, "subject", parsed.undrawable, can_draw, parsed.substitute,
                      parsed.typo_of);
  }

  model::ModelCard card_ = character_card();
};

}  // namespace

std::shared_ptr<model::Model> make_character_model() {
  return std::make_shared<CharacterModel>();
}

}  // namespace reel::studio
