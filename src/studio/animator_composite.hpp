#pragma once
// The character layer of an animation: either re-rendered posed each frame (a
// studio-character rig with a recipe) or the still's pixels moved as a layer
// with a smooth warp of their upper region (any other RGBA still).
#include <optional>
#include <string>
#include <vector>

#include "reel/media/image.hpp"
#include "reel/model/tasks.hpp"
#include "reel/studio/character.hpp"
#include "studio/animator_camera.hpp"

namespace reel::studio::detail {

struct CharacterStage {
  enum class Mode { none, rerender, warp };
  Mode mode = Mode::none;
  // Ground contact and standing height in frame pixels before any camera move.
  float foot_x = 0, foot_y = 0, height = 0;
  float width = 0;        // visible width, for the contact shadow
  float parallax = 1.0f;  // moves with the ground under its feet

  // rerender
  Json recipe;
  model::Light light;

  // warp
  media::Image layer;                  // f32, premultiplied, graded
  float layer_x = 0, layer_y = 0;      // frame position of its top-left
  float region_y0 = 0, region_y1 = 0;  // warped rows (layer coords), head at the top
  float turn_px = 0, nod_px = 0;       // displacement at a full-strength turn / nod
};

struct StageInputs {
  const model::ImageResult* image = nullptr;
  const model::ImageResult* background = nullptr;  // null when none
  int width = 0, height = 0;                       // output frame
  float stage_x = 0.5f;                            // preferred foot x, fraction of width
  model::Light light;                              // the scene's key light
  bool light_from_background = false;
};

// Chooses the mode and prepares what each frame needs. Adds notes for anything
// that could not be honoured (e.g. a recipe the studio cannot render).
CharacterStage prepare_character(const StageInputs& in, std::vector<std::string>& notes);

// Multiplies a soft contact shadow (and a faint long shadow away from the light)
// onto the still background, under the character's feet.
void bake_shadows(const CharacterStage& stage, const model::Light& light, media::Image& rgba);

// Draws the character for one frame over `frame` (RGBA8).
void draw_character(const CharacterStage& stage, const Backdrop& backdrop, const Pose& pose,
                    const CameraState& camera, media::Image& frame);

}  // namespace reel::studio::detail
