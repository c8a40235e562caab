#pragma once
// What an environment prompt asks for, once read: the scene, the time of day, the
// weather and a few modifiers. The renderer only ever sees this struct.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/studio/vocabulary.hpp"

namespace reel::studio::env {

enum class Scene { mars, desert, forest, beach, city, mountains, space, studio };
enum class TimeOfDay { dawn, noon, sunset, night };
enum class Weather { clear, dust_storm, fog, rain, snow };

std::string_view to_string(Scene s);
std::string_view to_string(TimeOfDay t);
std::string_view to_string(Weather w);

struct EnvSpec {
  Scene scene = Scene::studio;
  TimeOfDay time = TimeOfDay::noon;
  Weather weather = Weather::clear;
  // 0.5 for "light", 1 by default, 1.6 for "heavy": scales storm height, fog
  // density, rain and snow amounts.
  float intensity = 1.0f;
  // "in the distance" / "on the horizon": weather fronts sit far away rather
  // than around the camera.
  bool far_weather = false;
  float rockiness = 1.0f;  // "rocky" raises it, "smooth"/"sandy" lowers it
  float relief = 1.0f;     // "flat"/"plain" lowers it, "hilly" raises it
  bool clouds_requested = false;
  std::optional<std::array<float, 3>> backdrop_colour;  // studio only (linear RGB)
  std::vector<std::string> notes;
  // Set when the prompt names no scene while words that could name one are left over
  // ("perfume", "bottle"): the model refuses the prompt unless the step asks for
  // extra.substitute, which renders `substitute` (a misspelt scene, else the studio).
  std::vector<std::string> undrawable;
  std::string substitute;
  std::string typo_of;  // the scene word a leftover word may misspell ("forest"), or ""
};

// The parser's tables, for docs/studio.md: scene, time of day and weather (with the
// intensity and distance words) → the words that choose them.
std::vector<WordGroup> scene_words();
std::vector<WordGroup> time_words();
std::vector<WordGroup> weather_words();
std::vector<WordGroup> ground_words();  // rocky, smooth, flat, hilly

// Reads the prompt (never throws for odd words: they go into notes). The caller
// validates length and emptiness first.
EnvSpec parse_environment_prompt(std::string_view prompt);

}  // namespace reel::studio::env
