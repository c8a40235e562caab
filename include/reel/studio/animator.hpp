#pragma once
// studio-animator: animates a still over a background from a motion prompt
// (ImageToVideo). With a studio-character rig it re-renders the character posed
// each frame; without one it moves the whole layer and warps its upper region.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reel/model/tasks.hpp"
#include "reel/studio/vocabulary.hpp"

namespace reel::studio {

enum class Intensity { subtle, normal, strong };
enum class Speed { slow, normal, fast };

// One motion primitive parsed from the prompt.
struct MotionPrimitive {
  std::string kind;  // e.g. "head_turn", "nod", "look_up", "look_down", "breathe",
                     // "wave", "walk", "pan", "tilt", "zoom_in", "zoom_out",
                     // "dolly_in", "dolly_out", "orbit", "shake", "dust",
                     // "clouds", "rain", "snow", "fog"
  Intensity intensity = Intensity::normal;
  Speed speed = Speed::normal;
  float direction_x = 0;  // -1 left .. +1 right (screen space)
  float direction_y = 0;  // -1 down .. +1 up
  std::string direction;  // the words that set it ("towards the horizon", "left")
};

struct MotionPlan {
  std::vector<MotionPrimitive> primitives;
  std::vector<std::string> notes;  // unrecognised words etc.
};

// Parses a motion prompt. Never fails silently: unknown words go to notes; an
// empty or all-unknown prompt yields a breathing idle with a note saying so.
MotionPlan parse_motion(const std::string& motion);
// The motion parser's table for one category ("camera", "character", "environment"):
// primitive → the words that name it ("look" becomes look_up, look_down or head_turn
// by its direction words; "dust_storm" is strong dust).
std::vector<WordGroup> motion_words(std::string_view category);

std::shared_ptr<model::Model> make_animator_model();

// The still an image-to-video model starts from: studio-animator's frame 0 for the
// request's image over its background at width x height, so every animator (Wan, a
// hosted one) starts from exactly the composite studio-animator shows.
media::Image composite_first_frame(const model::ImageToVideoRequest& request, int width,
                                   int height);

}  // namespace reel::studio
