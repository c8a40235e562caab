#pragma once
// The background under a moving camera. Depth becomes a per-pixel parallax
// factor f = d_ref / d (1 = the ground under the character, ~0 = sky), and each
// camera move shifts/scales pixels by an amount that grows with f, so near ground
// slides past the far horizon.
#include <optional>

#include "reel/media/image.hpp"
#include "studio/animator_timeline.hpp"

namespace reel::studio::detail {

// The largest parallax factor kept: ground nearer than the character moves at
// most this much faster than it.
inline constexpr float kMaxParallax = 1.5f;

struct Backdrop {
  media::Image rgba;      // RGBA8, output size, opaque; contact shadow baked in
  media::Plane parallax;  // output size; empty when the background had no depth
  float overscan = 1.0f;  // constant extra scale so camera moves never reveal edges
  float centre_x = 0, centre_y = 0;

  float f_at(int x, int y) const {
    if (parallax.empty()) return 1.0f;
    x = x < 0 ? 0 : (x >= parallax.width() ? parallax.width() - 1 : x);
    y = y < 0 ? 0 : (y >= parallax.height() ? parallax.height() - 1 : y);
    return parallax.at(x, y);
  }
  // Where a point of the still at parallax f lands in the frame.
  void forward(const CameraState& c, float f, float sx, float sy, float& px, float& py) const {
    const float s = overscan * c.scale(f);
    px = centre_x + (sx - centre_x) * s + c.shift_x(f);
    py = centre_y + (sy - centre_y) * s + c.shift_y(f);
  }
  // Inverse of forward() for a known f.
  void inverse(const CameraState& c, float f, float px, float py, float& sx, float& sy) const {
    const float s = 1.0f / (overscan * c.scale(f));
    sx = centre_x + (px - centre_x - c.shift_x(f)) * s;
    sy = centre_y + (py - centre_y - c.shift_y(f)) * s;
  }
};

// Per-pixel parallax factor from a depth plane (larger = farther): d_ref / d,
// clamped to [0, kMaxParallax]; non-finite or non-positive depth counts as sky.
media::Plane parallax_from_depth(const media::Plane& depth, float d_ref);

// The constant overscan that keeps every frame's sampling inside the still.
float overscan_for(const MotionTimeline& timeline, int frames, double fps, int width, int height);

// Draws the backdrop as seen by camera `c` into `frame` (RGBA8, same size).
// Without camera motion this is a copy.
void render_backdrop(const Backdrop& b, const CameraState& c, bool camera_moves,
                     media::Image& frame);

}  // namespace reel::studio::detail
