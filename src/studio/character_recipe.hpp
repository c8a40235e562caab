#pragma once
// The full description of one studio-character: what the prompt and seed chose.
// It round-trips through JSON (the rig's `recipe`), so a later render of the same
// recipe draws exactly the same character.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/studio/vocabulary.hpp"

namespace reel::studio::character {

using Rgb = std::array<float, 3>;  // linear RGB, 0..1

enum class Archetype { astronaut, robot, woman, man, cat, dog };

const char* to_string(Archetype a);
bool is_quadruped(Archetype a);

struct Recipe {
  Archetype archetype = Archetype::astronaut;
  bool female = false;     // slimmer build; for astronauts hair shows through the visor
  bool detailed = false;   // suit seams, panels, patches, hoses, chest box
  bool photoreal = false;  // soft shadows, more AO samples and edge samples
  bool dress = false;      // woman/man: a dress instead of trousers
  std::uint64_t seed = 0;
  std::uint32_t detail_seed = 0;  // drives noise patterns (fur stripes, scuffs)

  Rgb primary{0.9f, 0.9f, 0.9f};     // suit / robot shell / top / fur
  Rgb secondary{0.4f, 0.4f, 0.42f};  // trousers, joints, markings
  Rgb accent{0.7f, 0.1f, 0.08f};     // stripes, patches, lights
  Rgb visor{0.6f, 0.42f, 0.12f};     // visor tint, robot eye light, animal eyes
  Rgb skin{0.6f, 0.4f, 0.3f};
  Rgb hair{0.12f, 0.07f, 0.04f};
  Rgb boots{0.5f, 0.5f, 0.52f};

  // Proportions, multipliers near 1.
  float width = 1;      // girth of torso and limbs
  float shoulders = 1;  // shoulder span
  float head = 1;       // head size
  float legs = 1;       // leg length share
  float stature = 1;    // still placement height (small characters stand lower)

  // Seed-chosen details.
  int patch_side = 1;  // which shoulder carries the patch (+1 = character's left)
  int hose_side = 1;
  float hair_length = 0;  // 0 short .. 1 long
  int variant = 0;        // small per-archetype style choice (antenna, ear shape, ...)

  Json to_json() const;
  // Throws InvalidInput when `j` is not a studio-character recipe.
  static Recipe from_json(const Json& j);
};

struct ParsedPrompt {
  Recipe recipe;
  int width = 0;  // 0 = not asked by the prompt/style
  int height = 0;
  std::vector<std::string> notes;
  // Set when the prompt names no subject the model draws while words that could name
  // one are left over ("perfume", "bottle"): the model refuses the prompt unless the
  // step asks for extra.substitute, which draws `substitute` instead.
  std::vector<std::string> undrawable;
  std::string substitute;  // the archetype drawn instead
  std::string typo_of;     // a known word one of `undrawable` may misspell, or ""
};

// The parser's tables, for docs/studio.md: archetype → the words that choose it;
// colour, hair and skin words; the parts a colour binds to; builds and details; style
// words (prompt or style).
std::vector<WordGroup> subject_words();
std::vector<WordGroup> colour_word_groups();
std::vector<WordGroup> part_words();
std::vector<WordGroup> build_word_groups();
std::vector<WordGroup> style_word_groups();

// Reads the prompt and style words; `seed` drives the variations.
ParsedPrompt parse_character_prompt(const std::string& prompt, const std::string& style,
                                    std::uint64_t seed);

}  // namespace reel::studio::character
