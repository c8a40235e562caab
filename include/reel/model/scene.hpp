#pragma once
// Scene facts that travel with stills so later models can use them: a character's
// rig (so an animator can pose it) and an environment's key light (so a character
// can be lit to match).
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "reel/core/json.hpp"

namespace reel::model {

// Pixel-space box, x0/y0 inclusive, x1/y1 exclusive.
struct Box {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
};

struct RigPart {
  std::string name;    // "head", "torso", "arm_left", "arm_right", "leg_left", ...
  std::string parent;  // "" for the root
  float pivot_x = 0;   // pixels in the still
  float pivot_y = 0;
  Box box;  // where the part lies in the still
};

struct Rig {
  std::vector<RigPart> parts;
  // Optional: the generator's own description of the character, so an animator
  // from the same family can re-render it posed (better than warping pixels).
  // Opaque to everyone else.
  Json recipe;

  const RigPart* find(const std::string& name) const;
  Json to_json() const;
  static Rig from_json(const Json& j);
};

struct Light {
  // Unit vector pointing from the scene towards the light; camera space:
  // +x right, +y up, +z towards the viewer.
  std::array<float, 3> direction{0.3f, 0.8f, 0.5f};
  std::array<float, 3> color{1.0f, 1.0f, 1.0f};     // linear RGB, may exceed 1
  std::array<float, 3> ambient{0.3f, 0.3f, 0.35f};  // sky / fill, linear RGB
  Json to_json() const;
  static Light from_json(const Json& j);
};

}  // namespace reel::model
