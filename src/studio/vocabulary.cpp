// The studio models' vocabulary, gathered from the parsers' own tables, and the one
// refusal every studio model gives for a prompt it cannot draw.
#include "reel/studio/vocabulary.hpp"

#include "character_recipe.hpp"
#include "reel/core/error.hpp"
#include "reel/studio/animator.hpp"
#include "studio/environment_spec.hpp"

namespace reel::studio {
namespace {

constexpr std::string_view kCharacter = "studio-character";
constexpr std::string_view kEnvironment = "studio-environment";
constexpr std::string_view kAnimator = "studio-animator";

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? std::string(sep) : "") + items[i];
  return out;
}

std::string code_list(const std::vector<std::string>& words) {
  std::vector<std::string> quoted;
  for (const auto& w : words) quoted.push_back("`" + w + "`");
  return join(quoted);
}

}  // namespace

std::vector<VocabularySection> vocabulary() {
  std::string model(kCharacter);
  std::vector<VocabularySection> out = {
      {"Subjects", model,
       "The first subject word found chooses what is drawn (a trailing `s` plural matches too); "
       "a gender word next to another subject makes it female or male (`woman astronaut`). A "
       "prompt with none of these "
       "words is refused when a word is left over that could name a thing (`a perfume bottle`), "
       "and drawn as the default astronaut (with a note) when only describing words are left.",
       character::subject_words(), true},
      {"Colours", model,
       "A colour word colours the part named by one of the next two words (`red boots`), else "
       "the main colour; hair and skin words set hair and skin.",
       character::colour_word_groups(), false},
      {"Parts a colour binds to", model, "", character::part_words(), false},
      {"Build and detail", model, "", character::build_word_groups(), false},
      {"Size and quality (prompt or `style`)", model,
       "The first word found in a group counts; an explicit width or height wins over a size "
       "word.",
       character::style_word_groups(), false},
  };
  model = std::string(kEnvironment);
  out.push_back(
      {"Scenes", model,
       "The earliest scene word in the prompt wins (`mars studio shot` is Mars). A prompt with no "
       "scene word is refused when a word is left over that could name one, and rendered as the "
       "plain studio backdrop (with a note) when only describing words are left; on the studio "
       "backdrop a colour word sets its colour.",
       env::scene_words(), true});
  out.push_back({"Times of day", model,
                 "The earliest time word wins; noon when none. No effect in the studio or space.",
                 env::time_words(), false});
  out.push_back({"Weather", model,
                 "The first group found, in this order, wins; `storm` alone is a dust storm on "
                 "Mars and in the desert and rain elsewhere. Intensity and distance words shape "
                 "it. No weather in space.",
                 env::weather_words(), false});
  out.push_back({"Ground", model,
                 "The first word found in each row counts (`rocky`, `flat`: both apply).",
                 env::ground_words(), false});
  model = std::string(kAnimator);
  out.push_back({"Camera moves", model,
                 "Read clause by clause (commas, `and`, `then`); `pan up` or `pan down` is a "
                 "tilt. Direction, intensity and speed words (motion modifiers, below) apply to "
                 "their own clause.",
                 motion_words("camera"), false});
  out.push_back({"Character motions", model,
                 "`look` with up or down is look_up or look_down, with left, right or the horizon "
                 "a head turn.",
                 motion_words("character"), false});
  out.push_back({"Environment motions", model, "", motion_words("environment"), false});
  out.push_back({"Motion modifiers", model,
                 "They shape the primitives named in their own clause: `slowly` in one clause "
                 "does not slow a camera move named in another.",
                 motion_words("modifier"), false});
  return out;
}

std::vector<ExtraKey> extra_keys() {
  return {
      {std::string(kCharacter), "substitute", "boolean",
       "false (default): a prompt naming a subject the model cannot draw is refused. true: "
       "draw the closest match (a misspelt subject's, else the astronaut) and say so in a "
       "note."},
      {std::string(kEnvironment), "substitute", "boolean",
       "false (default): a prompt naming a scene the model cannot draw is refused. true: render "
       "the closest match (a misspelt scene's, else the studio backdrop) and say so in a note."},
      {std::string(kAnimator), "ambient_weather", "boolean",
       "true (default): a studio-environment background's weather (dust storm, fog, rain, "
       "snow) adds subtle matching motion unless the motion prompt names an effect; false: "
       "none."},
  };
}

std::string picture_path(std::string_view model, std::string_view name) {
  std::string file = std::string(model) + "-" + std::string(name) + ".png";
  return "images/studio/" + file;
}

std::string vocabulary_markdown() {
  std::string md =
      "# What the studio models draw\n"
      "\n"
      "<!-- Generated by scripts/gen_studio_docs from the tables the prompt parsers use\n"
      "     (reel::studio::vocabulary()); the studio tests fail when this file differs. -->\n"
      "\n"
      "`studio-character`, `studio-environment` and `studio-animator` run offline and need "
      "nothing. They draw only what is listed here. A prompt whose subject (character) or "
      "scene (environment) is not in these lists is **refused** as invalid input before "
      "anything runs (`reel run` and `--dry-run` exit 2, `POST /v1/jobs` and `/v1/estimates` "
      "answer a 422 problem and reserve nothing, the SDKs raise), naming what the model can "
      "draw. For anything else use a hosted model (`reel "
      "models` lists them, `reel "
      "providers` the keys they need), or start from your own picture, e.g. a product photo "
      "given as a `file:` input. To get the closest match anyway, set `extra.substitute: "
      "true` on the step (`--set STEP.extra.substitute=true`); a note then says what was "
      "drawn instead.\n"
      "\n"
      "Words are matched whole and lowercase; a trailing `s` or `es` plural matches too. "
      "Other words are reported in the step's notes, never silently ignored. Pictures are "
      "rendered by the models themselves from the first word of each row (seed 1, 256x144).\n";
  for (const auto& section : vocabulary()) {
    md += "\n## " + section.title + " (`" + section.model + "`)\n\n";
    if (!section.about.empty()) md += section.about + "\n\n";
    if (section.pictured) {
      md += "| | chooses | words |\n|---|---|---|\n";
      for (const auto& g : section.groups)
        md += "| ![" + g.name + "](" + picture_path(section.model, g.name) + ") | " + g.name +
              " | " + code_list(g.words) + " |\n";
    } else {
      md += "| chooses | words |\n|---|---|\n";
      for (const auto& g : section.groups)
        md += "| " + g.name + " | " + code_list(g.words) + " |\n";
    }
  }
  md +=
      "\n## `extra` keys\n\n"
      "Model-specific settings go in a step's `extra` mapping (`--set STEP.extra.KEY=VALUE`).\n\n"
      "| model | key | type | effect |\n|---|---|---|---|\n";
  for (const auto& k : extra_keys())
    md += "| `" + k.model + "` | `" + k.key + "` | " + k.type + " | " + k.about + " |\n";
  return md;
}

bool substitute_requested(const Json& extra, std::string_view model_id) {
  if (!extra.is_object() || !extra.contains("substitute")) return false;
  const Json& v = extra.at("substitute");
  if (!v.is_boolean())
    throw Error(ErrorKind::InvalidInput,
                std::string(model_id) + ": extra.substitute must be true or false; got " +
                    v.dump(-1, ' ', false, Json::error_handler_t::replace));
  return v.get<bool>();
}

void refuse_undrawable(std::string_view model_id, std::string_view what,
                       const std::vector<std::string>& words,
                       const std::vector<std::string>& can_draw, std::string_view closest,
                       std::string_view typo_of) {
  std::string msg = std::string(model_id) + " cannot draw the " + std::string(what) +
                    " of this prompt: it names no " + std::string(what) +
                    " this offline model knows (words it could not place: " + join(words) + ").";
  if (!typo_of.empty()) msg += " Did you mean '" + std::string(typo_of) + "'?";
  msg += " It draws: " + join(can_draw) +
         " (every word it reads: docs/studio.md). For anything else use a hosted model "
         "(`reel models` lists them, `reel providers` the keys they need) or start from your "
         "own picture, e.g. a product photo as a file: input; or set extra.substitute: true on "
         "the step (--set STEP.extra.substitute=true) to draw the closest match (" +
         std::string(closest) + ") instead.";
  throw Error(ErrorKind::InvalidInput, msg);
}

}  // namespace reel::studio
