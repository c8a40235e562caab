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
// Breeds and pet words are here because the model draws them: a golden retriever is
// a dog whose fur the colour word sets.
const Synonyms kSpecies[] = {
    {Archetype::astronaut,
     {"astronaut", "spaceman", "spacewoman", "cosmonaut", "taikonaut", "spacesuit"}},
    {Archetype::robot, {"robot", "android", "droid", "cyborg", "automaton", "mech", "bot"}},
    {Archetype::cat,
     {"cat", "kitten", "kitty", "feline", "tomcat", "tabby", "housecat", "siamese", "calico",
      "moggy"}},
    {Archetype::dog,
     {"dog",       "puppy",     "pup",       "hound",     "doggy",      "doggo",    "canine",
      "pooch",     "mutt",      "retriever", "labrador",  "poodle",     "beagle",   "terrier",
      "spaniel",   "bulldog",   "collie",    "sheepdog",  "husky",      "corgi",    "dachshund",
      "chihuahua", "dalmatian", "pug",       "greyhound", "rottweiler", "doberman", "schnauzer"}},
};
const std::initializer_list<std::string_view> kFemaleWords = {"woman", "female",     "girl", "lady",
                                                              "women", "spacewoman", "she"};
const std::initializer_list<std::string_view> kMaleWords = {"man", "male",      "boy", "guy",
                                                            "men", "gentleman", "he"};
// People without a gender word are drawn as a man.
const std::initializer_list<std::string_view> kNeutralHuman = {
    "person", "human", "people", "humanoid", "figure", "child", "kid", "adult", "teenager"};

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

struct Build {
  std::string_view name;
  std::initializer_list<std::string_view> words;
};
const Build kBuilds[] = {
    {"slim", {"slim", "thin", "skinny", "slender", "lean"}},
    {"muscular", {"muscular", "strong", "athletic", "buff", "brawny"}},
    {"heavy", {"heavy", "fat", "chubby", "stocky", "bulky", "big", "large", "chunky"}},
    {"small", {"small", "tiny", "short", "little", "child", "kid", "young"}},
    {"tall", {"tall", "lanky", "giant"}},
};

const std::initializer_list<std::string_view> kDetailWords = {"detailed", "intricate",
                                                              "realistic suit"};

// Read from the prompt and from the style; the first word found in a group counts.
struct StyleWords {
  std::string_view name;
  int width = 0, height = 0;
  std::initializer_list<std::string_view> words;
};
const StyleWords kStyles[] = {
    {"3840x2160", 3840, 2160, {"4k", "uhd", "2160p"}},
    {"1920x1080", 1920, 1080, {"1080p", "fhd", "full hd"}},
    {"1280x720", 1280, 720, {"720p", "hd"}},
    {"photorealistic",
     0,
     0,
     {"photorealistic", "photoreal", "realistic", "hyperrealistic", "cinematic", "high quality",
      "best quality", "highly detailed"}},
};

const std::initializer_list<std::string_view> kHairWords = {"blonde", "blond", "brunette",
                                                            "redhead", "ginger"};
const std::initializer_list<std::string_view> kSkinWords = {"pale", "fair", "tanned", "olive",
                                                            "dark"};

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

struct Known {
  std::string_view word;
  Archetype archetype;
};

// The known word closest to one of `unknown` within a third of its length ("astronot"
// → astronaut), or nullptr.
const Known* closest_known(const std::vector<std::string>& unknown) {
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
  for (const auto& u : unknown)
    for (const auto& k : kAll) {
      std::size_t d = edit_distance(u, k.word);
      if (d * 3 <= std::max(u.size(), k.word.size()) && d < best) best = d, best_known = &k;
    }
  return best_known;
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
  const bool no_subject = !species && !(female || male || human);
  if (species) {
    r.archetype = *species;
  } else if (female || male || human) {
    r.archetype = female ? Archetype::woman : Archetype::man;
  } else {
    // No archetype word: the closest unknown word within a third of its length. This
    // is the substitution extra.substitute asks for; without it the model refuses the
    // prompt if a word that could name the subject is left over (see the end).
    const Known* best_known = closest_known(words.unrecognised());
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
    bool hair_word = std::find(kHairWords.begin(), kHairWords.end(), w) != kHairWords.end();
    auto colour = colour_from_word(w);
    bool skin_word = std::find(kSkinWords.begin(), kSkinWords.end(), w) != kSkinWords.end();
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
  for (auto w : kDetailWords) r.detailed |= words.take(w);
  for (const auto& b : kBuilds) {
    bool found = false;
    for (auto w : b.words) found |= words.take(w);
    if (!found) continue;
    if (b.name == "slim") r.width = 0.85f;
    if (b.name == "muscular") r.width = 1.12f, r.shoulders = 1.15f;
    if (b.name == "heavy") r.width = 1.3f, r.shoulders = 1.1f;
    if (b.name == "small") r.stature = 0.72f, r.head = 1.18f, r.legs = 0.88f;
    if (b.name == "tall") r.legs = 1.1f, r.width = r.width * 0.95f;
  }
  if (r.female && r.archetype != Archetype::woman) r.width *= 0.9f, r.shoulders *= 0.9f;
  for (auto w : kPartWords) words.take(w);

  auto read_style = [&](PromptWords& pw) {
    for (const auto& st : kStyles) {
      bool found = false;
      for (auto w : st.words) found = found || pw.take(w);
      if (!found) continue;
      if (st.width) out.width = st.width, out.height = st.height;
      if (st.name == "photorealistic") r.photoreal = true;
    }
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

  // 5. A prompt naming no subject is drawn as the default only when nothing in it could
  // name one; otherwise the model refuses unless substitution was asked for.
  if (no_subject) {
    for (const auto& u : words.unrecognised())
      if (could_name_a_thing(u)) out.undrawable.push_back(u);
    out.substitute = std::string(to_string(r.archetype));
    if (const Known* typo = closest_known(out.undrawable)) out.typo_of = std::string(typo->word);
  }

  std::string note = words.unrecognised_note(chosen_note);
  if (!note.empty()) out.notes.push_back(note);
  if (note.empty() && !chosen_note.empty())
    out.notes.push_back("no archetype word; used " + chosen_note);
  auto style_left = style_words.unrecognised();
  if (!style_left.empty()) {
    std::string s = "unrecognised style words:";
    for (std::size_t i = 0; i < style_left.size(); ++i) s += (i ? ", " : " ") + style_left[i];
    s += " (known: 4k, uhd, 1080p, 720p, photorealistic; all in docs/studio.md)";
    out.notes.push_back(s);
  }
  return out;
}

namespace {

WordGroup group(std::string name, std::initializer_list<std::string_view> words) {
  return {std::move(name), std::vector<std::string>(words.begin(), words.end())};
}

const char* slot_name(Slot s) {
  switch (s) {
    case Slot::primary:
      return "main colour (suit, shell, top, fur)";
    case Slot::secondary:
      return "second colour (trousers, joints, markings)";
    case Slot::accent:
      return "accent (stripes, patches, collar)";
    case Slot::visor:
      return "visor, robot lights, eyes";
    case Slot::hair:
      return "hair";
    case Slot::skin:
      return "skin";
    case Slot::boots:
      return "boots, shoes, gloves";
  }
  return "";
}

}  // namespace

std::vector<WordGroup> subject_words() {
  std::vector<WordGroup> out;
  for (const auto& s : kSpecies) out.push_back(group(to_string(s.archetype), s.words));
  // A gender word that is also a species word ("spacewoman") draws the species.
  auto humans = [&](const char* name,
                    std::initializer_list<std::initializer_list<std::string_view>> lists) {
    WordGroup g{name, {}};
    for (const auto& list : lists)
      for (auto w : list) {
        bool species = false;
        for (const auto& s : kSpecies)
          species |= std::find(s.words.begin(), s.words.end(), w) != s.words.end();
        if (!species) g.words.emplace_back(w);
      }
    out.push_back(std::move(g));
  };
  humans("woman", {kFemaleWords});
  humans("man", {kMaleWords, kNeutralHuman});
  return out;
}

std::vector<WordGroup> colour_word_groups() {
  return {{"colours", colour_words()},
          group("hair colours", kHairWords),
          group("skin tones", kSkinWords)};
}

std::vector<WordGroup> part_words() {
  std::vector<WordGroup> out;
  for (Slot s : {Slot::primary, Slot::secondary, Slot::accent, Slot::visor, Slot::hair, Slot::skin,
                 Slot::boots}) {
    WordGroup g{slot_name(s), {}};
    for (const auto& n : kNouns)
      if (n.slot == s) g.words.emplace_back(n.word);
    if (!g.words.empty()) out.push_back(std::move(g));
  }
  out.push_back(group("always drawn (understood, no choice)", kPartWords));
  return out;
}

std::vector<WordGroup> build_word_groups() {
  std::vector<WordGroup> out;
  for (const auto& b : kBuilds) out.push_back(group(std::string(b.name), b.words));
  out.push_back(group("detailed suit", kDetailWords));
  return out;
}

std::vector<WordGroup> style_word_groups() {
  std::vector<WordGroup> out;
  for (const auto& st : kStyles) out.push_back(group(std::string(st.name), st.words));
  return out;
}

}  // namespace reel::studio::character
