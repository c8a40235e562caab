#pragma once
// The character layer of an animation: either re-rendered posed each frame (a
// studio-character rig with a recipe) or the still's pixels moved as a layer
// with a smooth warp of their upper region (any other RGBA still).
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reel/media/image.hpp"
#include "reel/model/tasks.hpp"
#include "reel/studio/character.hpp"
#include "studio/animator_camera.hpp"

namespace reel::studio::detail {

// A premultiplied character render placed in the frame (before camera moves).
struct KeyLayer {
  media::Image premul;  // f32, premultiplied alpha
  int x = 0, y = 0;     // frame position of its top-left
};

struct CharacterStage {
  enum class Mode { none, rerender, warp };
  Mode mode = Mode::none;
  // Ground contact and standing height in frame pixels before any camera move.
  float foot_x = 0, foot_y = 0, height = 0;
  float width = 0;        // visible width, for the contact shadow
  float parallax = 1.0f;  // moves with the ground under its feet
  int frame_width = 0, frame_height = 0;

  // rerender
  Json recipe;
  model::Light light;
  KeyLayer first_key;  // the render for frame 0's pose, made while preparing

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
  Pose first_pose;  // frame 0's pose
};

// What one frame draws of the character: the pose (breathing and, in warp mode,
// the head) and, when re-rendering, the two key renders around the frame.
struct CharacterFrame {
  Pose pose;
  const KeyLayer* a = nullptr;
  const KeyLayer* b = nullptr;
  float wb = 0;  // weight of b
};

// A full character render costs far more than a frame's budget, yet the pose
// moves only a little from frame to frame. So renders are made at key frames
// chosen where the pose has moved about a pixel and a half since the previous
// key, and the frames between blend their two neighbours (sub-pixel apart, so
// no ghosting). Breathing is not part of the key pose: it is a tiny vertical
// stretch applied per frame, which keeps an idle character to a single render.
class KeyframeRenderer {
 public:
  // poses: one per frame, as the timeline gives them.
  KeyframeRenderer(const CharacterStage& stage, std::vector<Pose> poses);

  // Renders the keys frames [first, last] need and forgets older ones. Call from
  // one thread, before drawing those frames (renders are internally parallel).
  void ensure(int first, int last);
  CharacterFrame frame(int i) const;
  int key_count() const { return static_cast<int>(keys_.size()); }

  // Pose passed to the renderer for a frame's pose (breathing removed).
  static Pose key_pose(Pose p) {
    p.breath = 0;
    return p;
  }

 private:
  std::pair<int, int> segment(int frame) const;  // indices into keys_
  const CharacterStage& stage_;
  std::vector<Pose> poses_;
  std::vector<int> keys_;             // frame numbers, ascending, first 0 and last n-1
  std::map<int, KeyLayer> rendered_;  // key index → render
};

// Chooses the mode and prepares what each frame needs. Adds notes for anything
// that could not be honoured (e.g. a recipe the studio cannot render).
CharacterStage prepare_character(const StageInputs& in, std::vector<std::string>& notes);

// Multiplies a soft contact shadow (and a faint long shadow away from the light)
// onto the still background, under the character's feet.
void bake_shadows(const CharacterStage& stage, const model::Light& light, media::Image& rgba);

// Draws the character for one frame over `frame` (RGBA8).
void draw_character(const CharacterStage& stage, const Backdrop& backdrop,
                    const CharacterFrame& what, const CameraState& camera, media::Image& frame);

}  // namespace reel::studio::detail
