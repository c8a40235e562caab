// Motion-prompt parser for studio-animator. A prompt is read clause by clause
// ("turns his head towards the horizon, camera pans left slowly"): modifiers
// (intensity, speed, direction) apply to the primitives of their own clause, so
// "slowly" in one clause does not slow down a camera move named in another.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/studio/animator.hpp"
#include "reel/studio/prompt.hpp"

namespace reel::studio {
namespace {

std::vector<std::string> split_lower(std::string_view phrase) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : phrase) {
    if (ch == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool word_is(const std::string& word, const std::string& target) {
  if (word == target) return true;
  // plural / third person: "clouds", "pans", "pushes"
  if (word.size() == target.size() + 1 && word.back() == 's' && word.starts_with(target))
    return true;
  return word.size() == target.size() + 2 && word.ends_with("es") && word.starts_with(target);
}

// Marks every occurrence of every phrase made of words nobody has taken yet, so
// "zoom out" leaves no "zoom" behind for "zoom in" and "dust storm" leaves no
// "storm" for rain. Longer phrases should come first in `phrases`.
bool take_new(PromptWords& w, const std::vector<std::string_view>& phrases) {
  bool any = false;
  const auto& words = w.words();
  for (std::string_view phrase : phrases) {
    const std::vector<std::string> parts = split_lower(phrase);
    if (parts.empty()) continue;
    for (std::size_t i = 0; i + parts.size() <= words.size(); ++i) {
      bool ok = true;
      for (std::size_t k = 0; k < parts.size() && ok; ++k)
        ok = !w.used(i + k) && word_is(words[i + k], parts[k]);
      if (!ok) continue;
      for (std::size_t k = 0; k < parts.size(); ++k) w.mark(i + k);
      any = true;
    }
  }
  return any;
}

// Splits on punctuation and on words that join independent actions. "and" is a
// separator only between clauses; within one clause it is harmless either way.
std::vector<std::string> split_clauses(const std::string& text) {
  std::vector<std::string> clauses;
  std::string cur;
  auto flush = [&] {
    if (cur.find_first_not_of(' ') != std::string::npos) clauses.push_back(cur);
    cur.clear();
  };
  std::string word;
  auto end_word = [&] {
    std::string lower;
    for (char c : word)
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == "and" || lower == "then" || lower == "while" || lower == "whilst") {
      flush();
    } else {
      cur += word;
    }
    word.clear();
  };
  for (char ch : text) {
    if (ch == ',' || ch == ';' || ch == '.' || ch == '!' || ch == '?' || ch == '\n') {
      end_word();
      flush();
    } else if (ch == ' ' || ch == '\t' || ch == '\r') {
      end_word();
      cur.push_back(' ');
    } else {
      word.push_back(ch);
    }
  }
  end_word();
  flush();
  return clauses;
}

struct MotionWords {
  std::string_view kind;
  std::string_view category;  // camera, character, environment, modifier
  std::vector<std::string_view> phrases;
};

// Every motion word, by the primitive it names, in the order clauses are read
// (camera moves first: "pan up" is a tilt). docs/studio.md lists this table.
const std::vector<MotionWords>& motion_table() {
  static const std::vector<MotionWords> table = {
      {"pan", "camera", {"pan", "pans", "panning", "panned", "truck", "trucks", "trucking"}},
      {"tilt", "camera", {"tilt", "tilts", "tilting", "tilted", "pedestal"}},
      {"zoom_out", "camera", {"zoom out", "zooms out", "zooming out", "zoomed out"}},
      {"zoom_in",
       "camera",
       {"zoom in", "zooms in", "zooming in", "zoomed in", "zoom", "zooms", "zooming"}},
      {"dolly_out",
       "camera",
       {"dolly out", "dollies out", "dollying out", "pull back", "pulls back", "pulling back",
        "pull out", "pulls out", "pulling out", "dolly back", "track out", "tracks out"}},
      {"dolly_in",
       "camera",
       {"dolly in", "dollies in", "dollying in", "push in", "pushes in", "pushing in", "dolly",
        "dollies", "dollying", "track in", "tracks in", "move in", "moves in", "moving in"}},
      {"orbit",
       "camera",
       {"orbit", "orbits", "orbiting", "parallax", "arc", "arcs", "arcing", "circle around",
        "circles around", "circling"}},
      {"shake",
       "camera",
       {"handheld", "hand held", "shake", "shakes", "shaking", "shaky", "jitter", "wobble",
        "wobbly"}},
      {"nod", "character", {"nod", "nods", "nodding", "nodded"}},
      {"wave", "character", {"wave", "waves", "waving", "waved"}},
      {"walk",
       "character",
       {"walk in place", "walks in place", "walking in place", "walk", "walks", "walking", "march",
        "marches", "marching", "step", "steps", "stepping"}},
      {"look",
       "character",
       {"look", "looks", "looking", "looked", "glance", "glances", "glancing", "gaze", "gazes",
        "gazing", "peer", "peers", "peering", "stare", "stares", "staring"}},
      {"head_turn",
       "character",
       {"turn", "turns", "turning", "turned", "rotate", "rotates", "rotating", "swivel", "swivels",
        "swiveling", "swivelling"}},
      {"breathe",
       "character",
       {"breathe", "breathes", "breathing", "breath", "idle", "idling", "stand", "stands",
        "standing", "still", "rest", "resting"}},
      {"dust_storm", "environment", {"dust storm", "sandstorm", "sand storm"}},
      {"dust", "environment", {"dust", "dusty", "sand", "particles", "motes", "dust motes"}},
      {"clouds", "environment", {"cloud", "clouds", "cloudy", "overcast"}},
      {"rain",
       "environment",
       {"rain", "rains", "raining", "rainy", "drizzle", "drizzling", "downpour", "storm",
        "stormy"}},
      {"snow",
       "environment",
       {"snow", "snows", "snowing", "snowy", "snowfall", "snowflakes", "flakes"}},
      {"fog", "environment", {"fog", "foggy", "mist", "misty", "haze", "hazy"}},
      // Modifiers: they shape the primitives of their own clause.
      {"subtle",
       "modifier",
       {"subtle", "subtly", "slight", "slightly", "gentle", "gently", "soft", "softly", "barely",
        "little", "small", "tiny", "light", "lightly"}},
      {"strong",
       "modifier",
       {"strong", "strongly", "dramatic", "dramatically", "big", "wide", "large", "heavy",
        "heavily", "intense", "intensely", "vigorous", "vigorously", "hard"}},
      {"slow",
       "modifier",
       {"slow", "slowly", "leisurely", "lazily", "lazy", "gradual", "gradually"}},
      {"fast",
       "modifier",
       {"fast", "quick", "quickly", "rapid", "rapidly", "swift", "swiftly", "sudden", "suddenly"}},
      {"towards the horizon",
       "modifier",
       {"towards the horizon", "toward the horizon", "to the horizon", "at the horizon",
        "across the horizon", "the horizon", "horizon", "distance", "into the distance"}},
      {"towards the camera",
       "modifier",
       {"towards the camera", "toward the camera", "at the camera", "to the camera",
        "towards the viewer", "toward the viewer", "at the viewer", "to camera", "at camera",
        "into the camera", "into camera"}},
      {"left", "modifier", {"to the left", "towards the left", "leftwards", "leftward", "left"}},
      {"right",
       "modifier",
       {"to the right", "towards the right", "rightwards", "rightward", "right"}},
      {"up", "modifier", {"upwards", "upward", "up", "skywards", "skyward"}},
      {"down", "modifier", {"downwards", "downward", "down"}},
  };
  return table;
}

const std::vector<std::string_view>& phrases(std::string_view kind) {
  for (const auto& m : motion_table())
    if (m.kind == kind) return m.phrases;
  throw Error(ErrorKind::Internal, "motion parser: no words for '" + std::string(kind) + "'");
}

struct Modifiers {
  bool has_intensity = false;
  Intensity intensity = Intensity::normal;
  bool has_speed = false;
  Speed speed = Speed::normal;
  bool has_x = false, has_y = false;
  float dir_x = 0, dir_y = 0;
  bool horizon = false;
  bool camera_target = false;  // "towards the camera"
  std::string direction;
};

Modifiers read_modifiers(PromptWords& w) {
  Modifiers m;
  if (take_new(w, phrases("subtle"))) {
    m.has_intensity = true;
    m.intensity = Intensity::subtle;
  }
  if (take_new(w, phrases("strong"))) {
    m.has_intensity = true;
    m.intensity = Intensity::strong;
  }
  if (take_new(w, phrases("slow"))) {
    m.has_speed = true;
    m.speed = Speed::slow;
  }
  if (take_new(w, phrases("fast"))) {
    m.has_speed = true;
    m.speed = Speed::fast;
  }
  if (take_new(w, phrases("towards the horizon"))) {
    m.horizon = true;
    m.direction = "towards the horizon";
  }
  if (take_new(w, phrases("towards the camera"))) {
    m.camera_target = true;
    m.direction = "towards the camera";
  }
  const bool left = take_new(w, phrases("left"));
  const bool right = take_new(w, phrases("right"));
  if (left != right) {
    m.has_x = true;
    m.dir_x = left ? -1.0f : 1.0f;
    m.direction = m.horizon ? std::string("towards the horizon, ") + (left ? "left" : "right")
                            : (left ? "left" : "right");
  }
  const bool up = take_new(w, phrases("up"));
  const bool down = take_new(w, phrases("down"));
  if (up != down) {
    m.has_y = true;
    m.dir_y = up ? 1.0f : -1.0f;
    if (m.direction.empty() || m.direction == "towards the horizon")
      m.direction =
          m.direction.empty() ? (up ? "up" : "down") : m.direction + (up ? ", up" : ", down");
  }
  return m;
}

MotionPrimitive make(std::string kind) {
  MotionPrimitive p;
  p.kind = std::move(kind);
  return p;
}

// Applies a clause's direction words to a primitive that takes a direction.
void apply_direction(MotionPrimitive& p, const Modifiers& m) {
  const bool head = p.kind == "head_turn";
  if (head) {
    if (m.camera_target) {
      p.direction_x = 0;
      p.direction_y = 0;
      p.direction = m.direction;
      return;
    }
    // Towards the horizon: the open side is assumed to be screen-right unless the
    // prompt names a side; the gaze drops a little to the far ground line.
    p.direction_x = m.has_x ? m.dir_x : 1.0f;
    p.direction_y = m.has_y ? m.dir_y : (m.horizon ? -0.15f : 0.0f);
    p.direction = m.direction.empty() ? "right" : m.direction;
    return;
  }
  if (p.kind == "pan" || p.kind == "dust" || p.kind == "clouds" || p.kind == "rain" ||
      p.kind == "snow" || p.kind == "fog" || p.kind == "walk") {
    p.direction_x = m.has_x ? m.dir_x : 1.0f;
    p.direction = m.has_x ? (m.dir_x < 0 ? "left" : "right") : "";
    if (p.kind == "pan" && p.direction.empty()) p.direction = "right";
    return;
  }
  if (p.kind == "tilt") {
    p.direction_y = m.has_y ? m.dir_y : 1.0f;
    p.direction = p.direction_y > 0 ? "up" : "down";
    return;
  }
  if (p.kind == "orbit") {
    p.direction_x = m.has_x ? m.dir_x : 1.0f;
    p.direction = p.direction_x < 0 ? "left" : "right";
    return;
  }
}

// Finds the primitives named in one clause, in a fixed order.
std::vector<MotionPrimitive> read_primitives(PromptWords& w, const Modifiers& m) {
  std::vector<MotionPrimitive> out;
  // Camera moves first: "pan up"/"pan down" is a tilt.
  if (take_new(w, phrases("pan"))) {
    out.push_back(make(m.has_y && !m.has_x ? "tilt" : "pan"));
  }
  if (take_new(w, phrases("tilt"))) out.push_back(make("tilt"));
  if (take_new(w, phrases("zoom_out"))) out.push_back(make("zoom_out"));
  if (take_new(w, phrases("zoom_in"))) out.push_back(make("zoom_in"));
  if (take_new(w, phrases("dolly_out"))) out.push_back(make("dolly_out"));
  if (take_new(w, phrases("dolly_in"))) out.push_back(make("dolly_in"));
  if (take_new(w, phrases("orbit"))) out.push_back(make("orbit"));
  if (take_new(w, phrases("shake"))) out.push_back(make("shake"));

  // Character.
  if (take_new(w, phrases("nod"))) out.push_back(make("nod"));
  if (take_new(w, phrases("wave"))) out.push_back(make("wave"));
  if (take_new(w, phrases("walk"))) {
    take_new(w, {"in place", "on the spot"});
    out.push_back(make("walk"));
  }
  const bool look = take_new(w, phrases("look"));
  const bool turn = take_new(w, phrases("head_turn"));
  if (turn || (look && (m.has_x || m.horizon || m.camera_target))) {
    out.push_back(make("head_turn"));
    if (look && m.has_y && !m.has_x && !m.horizon)
      out.back().kind = m.dir_y > 0 ? "look_up" : "look_down";
  } else if (look) {
    out.push_back(make(m.has_y && m.dir_y < 0 ? "look_down" : "look_up"));
  }
  if (take_new(w, phrases("breathe"))) out.push_back(make("breathe"));

  // Environment.
  if (take_new(w, phrases("dust_storm"))) {
    out.push_back(make("dust"));
    out.back().intensity = Intensity::strong;
  } else if (take_new(w, phrases("dust"))) {
    out.push_back(make("dust"));
  }
  if (take_new(w, phrases("clouds"))) out.push_back(make("clouds"));
  if (take_new(w, phrases("rain"))) out.push_back(make("rain"));
  if (take_new(w, phrases("snow"))) out.push_back(make("snow"));
  if (take_new(w, phrases("fog"))) out.push_back(make("fog"));
  if (!out.empty())
    take_new(w, {"drift",   "drifts",   "drifting", "blow",    "blows",    "blowing", "swirl",
                 "swirls",  "swirling", "float",    "floats",  "floating", "fall",    "falls",
                 "falling", "roll",     "rolls",    "rolling", "move",     "moves",   "moving",
                 "pass",    "passes",   "passing",  "across",  "by",       "past",    "through",
                 "sweep",   "sweeps",   "sweeping", "lift",    "lifts",    "lifting", "settle",
                 "settles", "settling", "creep",    "creeps",  "creeping"});
  // Words that name who or what moves: understood, carry no motion of their own.
  take_new(w, {"astronaut"});
  take_new(w, {"character", "person", "man",    "woman",  "figure", "subject",    "he",
               "she",       "they",   "head",   "helmet", "face",   "eyes",       "camera",
               "shot",      "view",   "scene",  "air",    "wind",   "background", "slightly",
               "body",      "softly", "gently", "hand",   "arm",    "place",      "spot",
               "hello",     "visor",  "chest",  "sky",    "breeze", "then"});

  return out;
}

void apply_modifiers(MotionPrimitive& p, const Modifiers& m) {
  if (m.has_intensity) p.intensity = m.intensity;
  if (m.has_speed) p.speed = m.speed;
  apply_direction(p, m);
}

}  // namespace

MotionPlan parse_motion(const std::string& motion) {
  MotionPlan plan;
  std::vector<std::string> unknown;
  // Per primitive: did the prompt set its intensity / direction explicitly?
  std::vector<bool> set_intensity, set_direction;
  std::size_t last_clause_start = 0;  // index in plan.primitives of the last clause's first
  for (const std::string& clause : split_clauses(motion)) {
    PromptWords w(clause);
    Modifiers m = read_modifiers(w);
    std::vector<MotionPrimitive> found = read_primitives(w, m);
    w.take_stopwords();
    const bool direction_words = m.has_x || m.has_y || m.horizon || m.camera_target;
    if (found.empty()) {
      // A clause of modifiers only ("..., slowly") refines the clause before it.
      for (std::size_t i = last_clause_start; i < plan.primitives.size(); ++i) {
        if (m.has_intensity) plan.primitives[i].intensity = m.intensity;
        if (m.has_speed) plan.primitives[i].speed = m.speed;
        if (direction_words) apply_direction(plan.primitives[i], m);
      }
    } else {
      last_clause_start = plan.primitives.size();
      for (auto& p : found) {
        // An intensity set by the vocabulary itself ("dust storm") survives a
        // clause without intensity words.
        const Intensity preset = p.intensity;
        apply_modifiers(p, m);
        if (!m.has_intensity) p.intensity = preset;
        // "subtle head turn, looking towards the horizon" is one turn described
        // twice: a head turn merges into the previous one unless both name
        // different sides (then they chain: "turns left, then right").
        if (p.kind == "head_turn" && !plan.primitives.empty() &&
            plan.primitives.back().kind == "head_turn") {
          MotionPrimitive& prev = plan.primitives.back();
          const std::size_t k = plan.primitives.size() - 1;
          const bool same_side =
              prev.direction_x * p.direction_x > 0 || p.direction == prev.direction;
          if (!set_direction[k] || !direction_words || same_side) {
            if (direction_words) {
              prev.direction_x = p.direction_x;
              prev.direction_y = p.direction_y;
              prev.direction = p.direction;
              set_direction[k] = true;
            }
            if (m.has_intensity) {
              prev.intensity = p.intensity;
              set_intensity[k] = true;
            }
            if (m.has_speed) prev.speed = p.speed;
            continue;
          }
        }
        plan.primitives.push_back(std::move(p));
        set_intensity.push_back(m.has_intensity);
        set_direction.push_back(direction_words);
      }
    }
    for (auto& u : w.unrecognised())
      if (std::find(unknown.begin(), unknown.end(), u) == unknown.end()) unknown.push_back(u);
  }
  if (!unknown.empty()) {
    std::string note = "unrecognised words: ";
    for (std::size_t i = 0; i < unknown.size(); ++i) note += (i ? ", " : "") + unknown[i];
    plan.notes.push_back(note);
  }
  if (plan.primitives.empty()) {
    MotionPrimitive idle = make("breathe");
    idle.intensity = Intensity::subtle;
    plan.primitives.push_back(idle);
    plan.notes.push_back(motion.find_first_not_of(" \t\r\n") == std::string::npos
                             ? "empty motion prompt: using a subtle breathing idle"
                             : "no motion recognised in the prompt: using a subtle breathing idle");
  }
  return plan;
}

std::vector<WordGroup> motion_words(std::string_view category) {
  std::vector<WordGroup> out;
  for (const auto& m : motion_table())
    if (m.category == category)
      out.push_back(
          {std::string(m.kind), std::vector<std::string>(m.phrases.begin(), m.phrases.end())});
  return out;
}

}  // namespace reel::studio
