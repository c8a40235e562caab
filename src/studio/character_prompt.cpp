// Prompt → Recipe for studio-character: archetype (with synonyms and a closest
// match for misspellings), colours bound to the part they name, build, gender,
// detail and style words. Every word not understood ends up in the notes.
#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "character_recipe.hpp"
#include "reel/studio/noise.hpp"
#include "reel/studio/prompt.hpp"

namespace reel::studio::character {
namespace {

struct Synonyms {
  Archetype archetype;
  std::initializer_list<std::string_view> words;
};

// Gendered humans come last: "woman astronaut" is an astronaut who is a woman.
const Synonyms kSpecies[] = {
    {Archetype::astronaut,
     {"astronaut", "spaceman", "spacewoman", "cosmonaut", "taikonaut", "spacesuit"}},
    {Archetype::robot, {"robot", "android", "droid", "cyborg", "automaton", "mech", "bot"}},
    {Archetype::cat, {"cat", "kitten", "kitty", "feline", "tomcat"}},
    {Archetype::dog, {"dog", "puppy", "pup", "hound", "doggy", "canine"}},
};
const std::initializer_list<std::string_view> kFemaleWords = {"woman", "female",     "girl", "lady",
                                                              "women", "spacewoman", "she"};
const std::initializer_list<std::string_view> kMaleWords = {"man", "male",      "boy", "guy",
                                                            "men", "gentleman", "he"};
const std::initializer_list<std::string_view> kNeutralHuman = {"person", "human", "people",
                                                               "humanoid", "figure"};

enum class Slot { primary, secondary, accent, visor, hair, skin, boots };

struct Noun {
  std::string_view word;
  Slot slot;
};
const Noun kNouns[] = {
    {"suit", Slot::primary},    {"suited", Slot::primary},   {"spacesuit", Slot::primary},
    {"body", Slot::primary},    {"armor", Slot::primary},    {"armour", Slot::primary},
    {"shell", Slot::primary},   {"shirt", Slot::primary},    {"top", Slot::primary},
    {"jacket", Slot::primary},  {"coat", Slot::primary},     {"sweater", Slot::primary},
    {"hoodie", Slot::primary},  {"dress", Slot::primary},    {"fur", Slot::primary},
    {"plating", Slot::primary}, {"helmet", Slot::primary},   {"trousers", Slot::secondary},
    {"pants", Slot::secondary}, {"jeans", Slot::secondary},  {"skirt", Slot::secondary},
    {"legs", Slot::secondary},  {"joints", Slot::secondary}, {"markings", Slot::secondary},
    {"spots", Slot::secondary}, {"stripes", Slot::accent},   {"stripe", Slot::accent},
    {"patch", Slot::accent},    {"patches", Slot::accent},   {"trim", Slot::accent},
    {"accents", Slot::accent},  {"collar", Slot::accent},    {"lights", Slot::visor},
    {"visor", Slot::visor},     {"eyes", Slot::visor},       {"eye", Slot::visor},
    {"glass", Slot::visor},     {"hair", Slot::hair},        {"skin", Slot::skin},
    {"boots", Slot::boots},     {"shoes", Slot::boots},      {"gloves", Slot::boots},
    {"sneakers", Slot::boots},
};

// Words that name parts the model always draws; they carry no extra choice.
const std::initializer_list<std::string_view> kPartWords = {
    "helmet",   "backpack", "gloves", "boots",   "character", "standing", "full",
    "portrait", "pack",     "life",   "support", "render",    "studio",   "shot",
    "view",     "front",    "posing", "pose",    "cute",      "friendly"};

Rgb jitter(Rgb c, Rng& rng, float amount) {
  float v = 1 + amount * rng.uniform(-1, 1);
  for (auto& ch : c) ch = clamp01(ch * v * (1 + 0.35f * amount * rng.uniform(-1, 1)));
  return c;
}

Rgb skin_tone(Rng& rng) {
  static const Rgb kTones[] = {{0.82f, 0.58f, 0.46f},
                               {0.7f, 0.47f, 0.34f},
                               {0.5f, 0.32f, 0.2f},
                               {0.3f, 0.17f, 0.1f},
                               {0.9f, 0.68f, 0.56f}};
  return kTones[rng.integer(0, 4)];
}

Rgb hair_tone(Rng& rng) {
  static const Rgb kTones[] = {{0.05f, 0.03f, 0.02f},
                               {0.2f, 0.1f, 0.04f},
                               {0.7f, 0.5f, 0.22f},
                               {0.4f, 0.12f, 0.04f},
                               {0.02f, 0.02f, 0.02f}};
  return kTones[rng.integer(0, 4)];
}

void set_defaults(Recipe& r, Rng& rng) {
  static const Rgb kStripes[] = {
      {0.75f, 0.08f, 0.05f}, {0.08f, 0.2f, 0.75f}, {0.95f, 0.38f, 0.05f}, {0.1f, 0.45f, 0.2f}};
  static const Rgb kTops[] = {{0.1f, 0.35f, 0.45f},
                              {0.6f, 0.08f, 0.1f},
                              {0.12f, 0.2f, 0.55f},
                              {0.85f, 0.8f, 0.7f},
                              {0.25f, 0.35f, 0.15f}};
  r.skin = skin_tone(rng);
  r.hair = hair_tone(rng);
  switch (r.archetype) {
    case Archetype::astronaut:
      r.primary = {0.86f, 0.86f, 0.84f};
      r.secondary = {0.42f, 0.43f, 0.45f};
      r.accent = kStripes[rng.integer(0, 3)];
      r.visor = {0.55f, 0.36f, 0.08f};
      r.boots = {0.7f, 0.7f, 0.7f};
      break;
    case Archetype::robot:
      r.primary = {0.56f, 0.58f, 0.62f};
      r.secondary = {0.1f, 0.1f, 0.11f};
      r.accent = {0.95f, 0.45f, 0.05f};
      r.visor = {0.1f, 0.75f, 1.0f};
      r.boots = {0.2f, 0.2f, 0.22f};
      break;
    case Archetype::woman:
    case Archetype::man:
      r.primary = kTops[rng.integer(0, 4)];
      r.secondary = {0.05f, 0.08f, 0.2f};
      r.accent = {0.12f, 0.07f, 0.04f};  // belt leather
      r.visor = {0.2f, 0.12f, 0.06f};
      r.boots = {0.06f, 0.05f, 0.05f};
      break;
    case Archetype::cat: {
      static const Rgb kFur[] = {
          {0.7f, 0.33f, 0.08f}, {0.45f, 0.45f, 0.46f}, {0.06f, 0.06f, 0.06f}, {0.55f, 0.4f, 0.25f}};
      r.primary = kFur[rng.integer(0, 3)];
      r.secondary = r.primary;
      for (auto& ch : r.secondary) ch *= 0.45f;
      r.accent = {0.9f, 0.88f, 0.85f};
      r.visor = rng.uniform() < 0.5f ? Rgb{0.35f, 0.6f, 0.1f} : Rgb{0.8f, 0.6f, 0.05f};
      r.boots = r.accent;
      break;
    }
    case Archetype::dog: {
      static const Rgb kFur[] = {
          {0.42f, 0.22f, 0.08f}, {0.75f, 0.55f, 0.3f}, {0.08f, 0.07f, 0.06f}, {0.85f, 0.8f, 0.7f}};
      r.primary = kFur[rng.integer(0, 3)];
      r.secondary = {0.85f, 0.75f, 0.6f};
      r.accent = {0.75f, 0.08f, 0.06f};
      r.visor = {0.1f, 0.06f, 0.03f};
      r.boots = r.secondary;
      break;
    }
  }
}

Rgb skin_from_colour_word(std::string_view w, Rgb fallback) {
  if (w == "white" || w == "pale" || w == "fair") return {0.86f, 0.63f, 0.52f};
  if (w == "tan" || w == "tanned" || w == "olive") return {0.6f, 0.4f, 0.26f};
  if (w == "brown") return {0.36f, 0.2f, 0.12f};
  if (w == "black" || w == "dark") return {0.16f, 0.09f, 0.055f};
  return fallback;
}

std::optional<Archetype> pick_archetype(PromptWords& words) {
  for (const auto& s : kSpecies)
    for (auto w : s.words)
      if (words.take(w)) return s.archetype;
  return std::nullopt;
}

}  // namespace

ParsedPrompt parse_character_prompt(const std::string& prompt, const std::string& style,
                                    std::uint64_t seed) {
  ParsedPrompt out;
  Recipe& r = out.recipe;
  r.seed = seed;
  Rng rng(hash64(seed, 0xC4A7ull));
  r.detail_seed = static_cast<std::uint32_t>(rng.next_u64());

  PromptWords words(prompt);
  words.take_stopwords();

  // 1. Archetype and gender.
  std::optional<Archetype> species = pick_archetype(words);
  bool female = false, male = false;
  for (auto w : kFemaleWords) female |= words.take(w);
  for (auto w : kMaleWords) male |= words.take(w);
  bool human = false;
  for (auto w : kNeutralHuman) human |= words.take(w);
  std::string chosen_note;
  if (species) {
    r.archetype = *species;
  } else if (female || male || human) {
    r.archetype = female ? Archetype::woman : Archetype::man;
  } else {
    // No archetype word: the closest unknown word within a third of its length.
    struct Known {
      std::string_view word;
      Archetype archetype;
    };
    static const Known kAll[] = {{"astronaut", Archetype::astronaut},
                                 {"spaceman", Archetype::astronaut},
                                 {"cosmonaut", Archetype::astronaut},
                                 {"robot", Archetype::robot},
                                 {"android", Archetype::robot},
                                 {"woman", Archetype::woman},
                                 {"girl", Archetype::woman},
                                 {"man", Archetype::man},
                                 {"person", Archetype::man},
                                 {"human", Archetype::man},
                                 {"cat", Archetype::cat},
                                 {"kitten", Archetype::cat},
                                 {"dog", Archetype::dog},
                                 {"puppy", Archetype::dog}};
    std::size_t best = 1000;
    const Known* best_known = nullptr;
    for (const auto& u : words.unrecognised())
      for (const auto& k : kAll) {
        std::size_t d = edit_distance(u, k.word);
        if (d * 3 <= std::max(u.size(), k.word.size()) && d < best) best = d, best_known = &k;
      }
    r.archetype = best_known ? best_known->archetype : Archetype::astronaut;
    chosen_note = std::string(to_string(r.archetype)) +
                  (best_known ? "" : " (default; no archetype word found)");
  }
  r.female = r.archetype == Archetype::woman || (female && !male);
  set_defaults(r, rng);

  // 2. Colours, bound to the noun that follows them (else the main colour).
  bool primary_set = false, secondary_set = false;
  const auto& ws = words.words();
  for (std::size_t i = 0; i < ws.size(); ++i) {
    std::string_view w = ws[i];
    bool hair_word =
        w == "blonde" || w == "blond" || w == "brunette" || w == "redhead" || w == "ginger";
    auto colour = colour_from_word(w);
    bool skin_word = w == "pale" || w == "fair" || w == "tanned" || w == "olive" || w == "dark";
    if (!colour && !hair_word && !skin_word) continue;
    words.mark(i);
    if (hair_word) {
      r.hair = w == "brunette"                 ? Rgb{0.16f, 0.08f, 0.03f}
               : w == "blonde" || w == "blond" ? Rgb{0.78f, 0.6f, 0.3f}
                                               : Rgb{0.55f, 0.16f, 0.04f};
      continue;
    }
    Slot slot = Slot::primary;
    bool bound = false;
    for (std::size_t k = i + 1; k < ws.size() && k <= i + 2 && !bound; ++k) {
      if (colour_from_word(ws[k])) break;  // "red and white suit": next colour takes over
      for (const auto& n : kNouns)
        if (ws[k] == n.word || ws[k] == std::string(n.word) + "s") {
          slot = n.slot, bound = true;
          words.mark(k);
          if (n.word == "dress") r.dress = true;
          break;
        }
    }
    if (skin_word && !bound) slot = Slot::skin;
    if (!colour) colour = Rgb{0.5f, 0.5f, 0.5f};
    switch (slot) {
      case Slot::primary:
        r.primary = *colour;
        primary_set = true;
        break;
      case Slot::secondary:
        r.secondary = *colour;
        secondary_set = true;
        break;
      case Slot::accent:
        r.accent = *colour;
        break;
      case Slot::visor:
        r.visor = *colour;
        break;
      case Slot::hair:
        r.hair = *colour;
        break;
      case Slot::skin:
        r.skin = skin_from_colour_word(w, r.skin);
        break;
      case Slot::boots:
        r.boots = *colour;
        break;
    }
  }
  for (const auto& n : kNouns)
    if (words.take(n.word) && n.word == "dress") r.dress = true;
  if (r.archetype == Archetype::cat && primary_set && !secondary_set) {
    // Tabby stripes follow the coat: a shade darker, faint on white or black.
    for (int k = 0; k < 3; ++k) r.secondary[k] = r.primary[k] * 0.6f;
  }

  // 3. Build, detail and quality words.
  r.detailed = words.take("detailed") | words.take("intricate") | words.take("realistic suit");
  if (words.take_any({"slim", "thin", "skinny", "slender", "lean"})) r.width = 0.85f;
  if (words.take_any({"muscular", "strong", "athletic", "buff", "brawny"}))
    r.width = 1.12f, r.shoulders = 1.15f;
  if (words.take_any({"heavy", "fat", "chubby", "stocky", "bulky", "big", "large", "chunky"}))
    r.width = 1.3f, r.shoulders = 1.1f;
  if (words.take_any({"small", "tiny", "short", "little", "child", "kid", "young"}))
    r.stature = 0.72f, r.head = 1.18f, r.legs = 0.88f;
  if (words.take_any({"tall", "lanky", "giant"})) r.legs = 1.1f, r.width = r.width * 0.95f;
  if (r.female && r.archetype != Archetype::woman) r.width *= 0.9f, r.shoulders *= 0.9f;
  for (auto w : kPartWords) words.take(w);

  auto read_style = [&](PromptWords& pw) {
    if (pw.take_any({"4k", "uhd", "2160p"})) out.width = 3840, out.height = 2160;
    if (pw.take_any({"1080p", "fhd", "full hd"})) out.width = 1920, out.height = 1080;
    if (pw.take_any({"720p", "hd"})) out.width = 1280, out.height = 720;
    if (pw.take_any({"photorealistic", "photoreal", "realistic", "hyperrealistic", "cinematic",
                     "high quality", "best quality", "highly detailed"}))
      r.photoreal = true;
  };
  read_style(words);
  PromptWords style_words(style);
  style_words.take_stopwords();
  read_style(style_words);

  // 4. Seed variations: shade, proportions, small details.
  r.primary = jitter(r.primary, rng, 0.04f);
  r.secondary = jitter(r.secondary, rng, 0.06f);
  r.accent = jitter(r.accent, rng, 0.06f);
  r.skin = jitter(r.skin, rng, 0.05f);
  r.hair = jitter(r.hair, rng, 0.08f);
  r.width *= 1 + 0.04f * rng.uniform(-1, 1);
  r.shoulders *= 1 + 0.04f * rng.uniform(-1, 1);
  r.head *= 1 + 0.04f * rng.uniform(-1, 1);
  r.legs *= 1 + 0.03f * rng.uniform(-1, 1);
  r.patch_side = rng.uniform() < 0.5f ? -1 : 1;
  r.hose_side = rng.uniform() < 0.5f ? -1 : 1;
  r.hair_length =
      r.archetype == Archetype::woman || (r.female && r.archetype == Archetype::astronaut)
          ? rng.uniform(0.5f, 1.0f)
          : rng.uniform(0.0f, 0.3f);
  r.variant = rng.integer(0, 3);

  std::string note = words.unrecognised_note(chosen_note);
  if (!note.empty()) out.notes.push_back(note);
  if (note.empty() && !chosen_note.empty())
    out.notes.push_back("no archetype word; used " + chosen_note);
  auto style_left = style_words.unrecognised();
  if (!style_left.empty()) {
    std::string s = "unrecognised style words:";
    for (std::size_t i = 0; i < style_left.size(); ++i) s += (i ? ", " : " ") + style_left[i];
    s += " (known: 4k, uhd, 1080p, 720p, photorealistic)";
    out.notes.push_back(s);
  }
  return out;
}

}  // namespace reel::studio::character
