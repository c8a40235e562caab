#pragma once
// studio-character: a procedural character generator (TextToImage). Besides the
// still it can re-render the same character posed and lit by a given light, which
// the studio animator uses for real head turns instead of pixel warps.
#include <cstdint>
#include <memory>

#include "reel/core/json.hpp"
#include "reel/media/image.hpp"
#include "reel/model/scene.hpp"
#include "reel/model/tasks.hpp"

namespace reel::studio {

// Angles in radians. Zero pose = standing, facing the camera.
struct Pose {
  float head_yaw = 0;    // + turns the head towards the viewer's right
  float head_pitch = 0;  // + looks up
  float head_roll = 0;
  float torso_yaw = 0;       // whole body turn, small angles
  float torso_lean = 0;      // + leans towards the viewer's right
  float breath = 0;          // 0..1, chest/shoulder rise
  float arm_left_raise = 0;  // shoulder angle, + raises the arm sideways
  float arm_right_raise = 0;
  float forearm_left_bend = 0;  // elbow angle
  float forearm_right_bend = 0;
  float walk_phase = 0;   // radians; legs/arms swing with sin(phase)
  float walk_amount = 0;  // 0..1
  float bob = 0;          // vertical body offset, fraction of character height
};

// Where and how large to draw the character inside a frame of target_width x
// target_height: its feet (ground contact, centre) land at (foot_x, foot_y) and
// its full standing height is `height` pixels.
struct Placement {
  int target_width = 0;
  int target_height = 0;
  float foot_x = 0;
  float foot_y = 0;
  float height = 0;
};

struct CharacterLayer {
  media::Image rgba;   // f32, straight alpha; covers only the box below
  media::Plane depth;  // same size as rgba; camera distance in character heights
  int offset_x = 0;    // where rgba's top-left lands in the target frame
  int offset_y = 0;
  model::Rig rig;  // part pivots/boxes in target-frame pixels
};

// Renders the character described by `recipe` (the `recipe` of a studio-character
// still's rig). Deterministic. Only pixels of the character's bounding box are
// computed. Throws InvalidInput for a recipe that is not a studio-character one.
CharacterLayer render_character(const Json& recipe, const Pose& pose, const Placement& placement,
                                const model::Light& light);

std::shared_ptr<model::Model> make_character_model();

}  // namespace reel::studio
