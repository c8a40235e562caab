#include <algorithm>
#include <limits>

#include "reel/studio/prompt.hpp"
#include "studio/environment_spec.hpp"

namespace reel::studio::env {

std::string_view to_string(Scene s) {
  switch (s) {
    case Scene::mars:
      return "mars";
    case Scene::desert:
      return "desert";
    case Scene::forest:
      return "forest";
    case Scene::beach:
      return "beach";
    case Scene::city:
      return "city";
    case Scene::mountains:
      return "snowy_mountains";
    case Scene::space:
      return "space";
    case Scene::studio:
      return "studio";
  }
  return "studio";
}

std::string_view to_string(TimeOfDay t) {
  switch (t) {
    case TimeOfDay::dawn:
      return "dawn";
    case TimeOfDay::noon:
      return "noon";
    case TimeOfDay::sunset:
      return "sunset";
    case TimeOfDay::night:
      return "night";
  }
  return "noon";
}

std::string_view to_string(Weather w) {
  switch (w) {
    case Weather::clear:
      return "clear";
    case Weather::dust_storm:
      return "dust_storm";
    case Weather::fog:
      return "fog";
    case Weather::rain:
      return "rain";
    case Weather::snow:
      return "snow";
  }
  return "clear";
}

namespace {

struct SceneWords {
  Scene scene;
  std::vector<std::string_view> phrases;  // longest first: "red planet" before "planet"
};

const std::vector<SceneWords>& scene_table() {
  static const std::vector<SceneWords> table = {
      {Scene::mars, {"red planet", "mars", "martian"}},
      {Scene::mountains,
       {"snowy mountain", "snow capped mountain", "snowcapped mountain", "mountain range",
        "mountain", "alps", "alpine", "peak", "glacier", "himalaya", "summit"}},
      {Scene::desert, {"sand dune", "desert", "dune", "sahara", "dunes", "badlands"}},
      {Scene::forest, {"forest", "woods", "woodland", "jungle", "tree", "pine", "grove"}},
      {Scene::beach,
       {"beach", "ocean", "sea", "seaside", "coast", "shore", "seashore", "tropical", "island"}},
      {Scene::city,
       {"city street", "city", "street", "downtown", "urban", "avenue", "town", "building",
        "skyscraper", "metropolis"}},
      {Scene::space,
       {"outer space", "deep space", "space", "galaxy", "nebula", "cosmos", "orbit", "starfield",
        "planet"}},
      {Scene::studio,
       {"studio", "backdrop", "cyclorama", "cyc", "seamless", "plain background",
        "solid background", "photo studio"}},
  };
  return table;
}

struct TimeWords {
  TimeOfDay t;
  std::vector<std::string_view> phrases;
};

const std::vector<TimeWords>& time_table() {
  static const std::vector<TimeWords> times = {
      {TimeOfDay::dawn, {"dawn", "sunrise", "daybreak", "early morning", "morning", "first light"}},
      {TimeOfDay::sunset, {"sunset", "dusk", "evening", "golden hour", "twilight", "sundown"}},
      {TimeOfDay::night,
       {"night", "nighttime", "midnight", "moonlight", "moonlit", "starry", "starlit", "dark"}},
      {TimeOfDay::noon,
       {"noon", "midday", "daytime", "day", "afternoon", "daylight", "sunny", "bright"}},
  };
  return times;
}

// Weather words in the order they are tried; the first group found wins. Snow words
// skip words a scene already claimed (the "snow" of "snow capped mountains").
struct WeatherWords {
  Weather weather;
  std::vector<std::string_view> phrases;
};

const std::vector<WeatherWords>& weather_table() {
  static const std::vector<WeatherWords> table = {
      {Weather::dust_storm,
       {"dust storm", "duststorm", "sandstorm", "sand storm", "dust wall", "wall of dust", "haboob",
        "dust cloud", "dust"}},
      {Weather::snow,
       {"blizzard", "snowfall", "snowing", "snowflake", "snowstorm", "snow", "snowy"}},
      {Weather::rain,
       {"rainstorm", "rain", "rainy", "raining", "downpour", "drizzle", "thunderstorm", "shower"}},
      {Weather::fog, {"fog", "foggy", "mist", "misty", "haze", "hazy", "smog"}},
  };
  return table;
}

const std::vector<std::string_view> kHeavy = {"heavy",   "thick",    "dense",  "massive",
                                              "huge",    "towering", "giant",  "strong",
                                              "intense", "violent",  "raging", "enormous"};
const std::vector<std::string_view> kLight = {"light",  "thin", "slight", "faint",
                                              "gentle", "soft", "mild"};
const std::vector<std::string_view> kFar = {
    "in the distance", "on the horizon", "distance", "distant", "far away", "far off", "far",
    "approaching",     "looming",        "rolling"};

struct GroundWords {
  std::string_view name;
  std::vector<std::string_view> phrases;
};

const std::vector<GroundWords>& ground_table() {
  static const std::vector<GroundWords> table = {
      {"rocky", {"rocky", "rock", "boulder", "stony", "stone", "rugged"}},
      {"smooth", {"smooth", "sandy", "sand"}},
      {"flat", {"flat", "plain", "plains", "plateau", "valley"}},
      {"hilly", {"hilly", "hill", "rolling hills", "canyon", "crater", "cliff"}},
  };
  return table;
}

bool take_first(PromptWords& w, const std::vector<std::string_view>& phrases) {
  for (auto p : phrases)
    if (w.take(p)) return true;
  return false;
}

// Words every scene reads the same way: they describe what is rendered anyway,
// so taking them is not ignoring them.
void take_generic(PromptWords& w) {
  for (auto p : {"landscape", "scene",     "environment",    "background", "view",    "vista",
                 "shot",      "wide",      "photorealistic", "realistic",  "photo",   "cinematic",
                 "detailed",  "beautiful", "epic",           "4k",         "8k",      "hd",
                 "uhd",       "sky",       "ground",         "terrain",    "horizon", "surface",
                 "floor",     "wall",      "time",           "weather",    "at",      "during"})
    w.take(p);
}

// Like PromptWords::take_any for single words, but skips words already claimed
// (the "snow" of "snow capped mountains" is the scene, not snowfall).
bool take_free_any(PromptWords& w, std::initializer_list<std::string_view> targets) {
  for (std::size_t i = 0; i < w.words().size(); ++i) {
    if (w.used(i)) continue;
    const std::string& word = w.words()[i];
    for (auto t : targets) {
      if (word == t || (word.size() == t.size() + 1 && word.back() == 's' && word.starts_with(t))) {
        w.mark(i);
        return true;
      }
    }
  }
  return false;
}

}  // namespace

EnvSpec parse_environment_prompt(std::string_view prompt) {
  PromptWords w(prompt);
  EnvSpec spec;
  w.take_stopwords();

  // 1. Scene: the earliest-mentioned scene wins ("mars studio shot" is Mars).
  std::size_t best_pos = std::numeric_limits<std::size_t>::max();
  std::optional<Scene> scene;
  // "snowy" alone is an atmosphere word unless mountains are named; look for the
  // mountain phrases first so "snowy mountains" is one scene, not snowfall.
  bool snowy_mountains = w.find("snowy mountain").has_value() ||
                         w.find("snow capped").has_value() || w.find("snowcapped").has_value();
  for (const auto& entry : scene_table()) {
    for (auto phrase : entry.phrases) {
      if (auto pos = w.find(phrase)) {
        if (*pos < best_pos) {
          best_pos = *pos;
          scene = entry.scene;
        }
      }
    }
  }
  for (const auto& entry : scene_table())
    for (auto phrase : entry.phrases) w.take(phrase);
  if (snowy_mountains) {
    w.take("snowy");
    w.take("snow capped");
    w.take("snowcapped");
  }

  // 2. Time of day.
  best_pos = std::numeric_limits<std::size_t>::max();
  bool time_given = false;
  for (const auto& tw : time_table())
    for (auto phrase : tw.phrases)
      if (auto pos = w.find(phrase); pos && *pos < best_pos) {
        best_pos = *pos;
        spec.time = tw.t;
        time_given = true;
      }
  for (const auto& tw : time_table())
    for (auto phrase : tw.phrases) w.take(phrase);

  // 3. Weather. "storm" alone is dust on dusty worlds and rain elsewhere.
  bool dusty = scene == Scene::mars || scene == Scene::desert;
  for (const auto& ww : weather_table()) {
    bool hit = false;
    for (auto phrase : ww.phrases) {
      if (ww.weather != Weather::snow)
        hit = w.take(phrase);
      else if (phrase != "snowy" || !snowy_mountains)
        hit = take_free_any(w, {phrase});
      if (hit) break;
    }
    if (hit) {
      spec.weather = ww.weather;
      break;
    }
  }
  if (spec.weather == Weather::clear && w.take("storm"))
    spec.weather = dusty ? Weather::dust_storm : Weather::rain;
  if (w.find("blizzard") || w.find("downpour")) spec.intensity = 1.6f;
  if (w.find("drizzle")) spec.intensity = 0.5f;
  w.take("storm");
  if (spec.weather == Weather::snow || spec.weather == Weather::rain)
    w.take_any({"falling", "pouring", "drifting", "swirling"});
  w.take_any({"clear", "cloudless", "calm"});
  if (w.take_any({"cloud", "cloudy", "overcast"})) spec.clouds_requested = true;

  if (take_first(w, kHeavy))
    spec.intensity = 1.6f;
  else if (take_first(w, kLight))
    spec.intensity = 0.5f;
  if (take_first(w, kFar)) spec.far_weather = true;

  // 4. Ground modifiers.
  for (const auto& g : ground_table()) {
    if (!take_first(w, g.phrases)) continue;
    if (g.name == "rocky") spec.rockiness = 1.8f;
    if (g.name == "smooth") spec.rockiness *= 0.5f;
    if (g.name == "flat") spec.relief = 0.5f;
    if (g.name == "hilly") spec.relief = 1.8f;
  }
  w.take_any({"barren", "dusty", "arid", "dry", "empty", "lonely", "alien", "rusty", "desolate"});
  w.take_any({"lush", "green", "dense", "tall"});
  w.take_any({"tropical", "sunlit", "wave", "waves", "calm"});
  w.take_any({"busy", "modern", "old", "empty", "wet"});
  w.take_any({"stars", "star", "nebula"});
  if (scene == Scene::mars) w.take_any({"red", "orange", "rust"});

  // 5. Colour words set the studio backdrop colour; elsewhere they are noted.
  if (scene == Scene::studio || !scene) {
    for (std::size_t i = 0; i < w.words().size(); ++i) {
      if (w.used(i)) continue;
      if (auto c = colour_from_word(w.words()[i])) {
        spec.backdrop_colour = *c;
        w.mark(i);
        break;
      }
    }
  }
  take_generic(w);

  // 6. No scene word: try the closest scene word to each unknown word (a typo like
  // "forrest"), else the plain studio backdrop. That is the substitution
  // extra.substitute asks for; without it the model refuses the prompt when a word that
  // could name the scene ("perfume", "bottle") is left over.
  std::string chosen;
  if (!scene) {
    for (const auto& word : w.unrecognised())
      if (could_name_a_thing(word)) spec.undrawable.push_back(word);
    std::size_t best = 3;  // at most 2 edits
    for (const auto& word : w.unrecognised()) {
      if (word.size() < 4) continue;
      for (const auto& entry : scene_table())
        for (auto phrase : entry.phrases) {
          if (phrase.find(' ') != std::string_view::npos) continue;
          auto d = edit_distance(word, phrase);
          if (d < best) {
            best = d;
            scene = entry.scene;
            chosen = std::string(to_string(entry.scene));
            spec.typo_of = std::string(phrase);
          }
        }
    }
    if (!scene)
      spec.notes.push_back(
          "no scene recognised in the prompt; rendered the plain studio backdrop (scenes: mars, "
          "desert, forest, beach, city street, snowy mountains, outer space, studio)");
  }
  spec.scene = scene.value_or(Scene::studio);
  if (!spec.undrawable.empty()) spec.substitute = std::string(to_string(spec.scene));
  if (spec.weather == Weather::dust_storm && spec.scene != Scene::mars &&
      spec.scene != Scene::desert)
    spec.notes.push_back("dust storm in this scene is rendered as brown haze");
  if ((spec.scene == Scene::studio || spec.scene == Scene::space) && time_given)
    spec.notes.push_back(
        std::string("time of day has no effect in the ") +
        (spec.scene == Scene::studio ? "studio (lit by studio lights)" : "outer space scene"));
  if (spec.scene == Scene::space && spec.weather != Weather::clear) {
    spec.notes.push_back("weather has no effect in outer space");
    spec.weather = Weather::clear;
  }
  if (auto note = w.unrecognised_note(chosen); !note.empty()) spec.notes.push_back(note);
  return spec;
}

namespace {

WordGroup group(std::string_view name, const std::vector<std::string_view>& phrases) {
  return {std::string(name), std::vector<std::string>(phrases.begin(), phrases.end())};
}

}  // namespace

std::vector<WordGroup> scene_words() {
  std::vector<WordGroup> out;
  for (const auto& e : scene_table()) out.push_back(group(to_string(e.scene), e.phrases));
  return out;
}

std::vector<WordGroup> time_words() {
  std::vector<WordGroup> out;
  for (const auto& t : time_table()) out.push_back(group(to_string(t.t), t.phrases));
  return out;
}

std::vector<WordGroup> ground_words() {
  std::vector<WordGroup> out;
  for (const auto& g : ground_table()) out.push_back(group(g.name, g.phrases));
  return out;
}

std::vector<WordGroup> weather_words() {
  std::vector<WordGroup> out;
  for (const auto& e : weather_table()) out.push_back(group(to_string(e.weather), e.phrases));
  out.push_back(group("storm (dust on mars and desert, else rain)", {"storm"}));
  out.push_back(group("heavy", kHeavy));
  out.push_back(group("light", kLight));
  out.push_back(group("far away", kFar));
  return out;
}

}  // namespace reel::studio::env
