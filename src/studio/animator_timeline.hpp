#pragma once
// Turns a MotionPlan into smooth functions of time: the character's pose, the
// camera and the environment effects. Every curve is C1-continuous (ease-in-out
// ramps, sinusoids, smooth noise) so nothing pops between frames.
#include <cstdint>

#include "reel/studio/animator.hpp"
#include "reel/studio/character.hpp"

namespace reel::studio::detail {

// Camera at one instant. A layer whose parallax factor is f (1 = the ground under
// the character, 0 = infinitely far) lands at
//   p = centre + (src - centre) * scale(f) + shift(f)
struct CameraState {
  float tx = 0, ty = 0;            // pan/tilt shift in pixels for f = 1
  float zoom = 1;                  // uniform scale (lens zoom)
  float dolly = 0;                 // extra scale per unit f (camera moves forward)
  float orbit = 0;                 // pixels, applied as orbit * (f - 1): the subject stays put
  float shake_x = 0, shake_y = 0;  // pixels, all depths alike

  float scale(float f) const { return zoom * (1.0f + dolly * f); }
  float shift_x(float f) const { return tx * (0.25f + 0.75f * f) + orbit * (f - 1.0f) + shake_x; }
  float shift_y(float f) const { return ty * (0.25f + 0.75f * f) + shake_y; }
};

struct EffectParams {
  float amount = 0;  // 0 = off; ~0.5 subtle, 1 normal, 1.8 strong
  float speed = 1;   // multiplier
  float wind_x = 1;  // -1 .. 1, screen direction of drift
};

struct Effects {
  EffectParams dust, clouds, rain, snow, fog;
  bool any() const {
    return dust.amount > 0 || clouds.amount > 0 || rain.amount > 0 || snow.amount > 0 ||
           fog.amount > 0;
  }
};

class MotionTimeline {
 public:
  // width/height: output frame size (camera moves scale with it).
  MotionTimeline(const MotionPlan& plan, double duration_seconds, int width, int height,
                 std::uint64_t seed);

  Pose pose_at(double t) const;
  CameraState camera_at(double t) const;
  const Effects& effects() const { return effects_; }

  bool camera_moves() const { return camera_moves_; }
  bool character_moves() const { return character_moves_; }
  // Preferred horizontal foot position (fraction of width): a character that
  // turns towards one side stands a little towards the other, facing open space.
  float stage_x() const { return stage_x_; }

  // Normalised 0..1 values for pixel warps of layers that cannot be re-rendered:
  // head yaw/pitch as a fraction of a full-strength turn.
  double duration() const { return duration_; }

 private:
  struct Ramp {  // a target value reached over [t0, t1], eased, then held with a settle
    float target = 0;
    float t0 = 0, t1 = 1;
    float settle = 0;
  };
  static float eval_ramp(const Ramp& r, float u);

  double duration_ = 1;
  int width_ = 0, height_ = 0;
  std::uint32_t seed_ = 0;
  bool camera_moves_ = false;
  bool character_moves_ = false;
  float stage_x_ = 0.5f;

  // character
  std::vector<Ramp> yaw_, pitch_;  // chained: each starts from the previous target
  float nod_amp_ = 0, nod_hz_ = 0;
  float breath_amp_ = 0.45f, breath_hz_ = 0.25f;
  float wave_amp_ = 0, wave_hz_ = 0;
  float walk_amp_ = 0, walk_hz_ = 0;

  // camera (values at the end of the clip; eased in between)
  float pan_x_ = 0, pan_y_ = 0;
  float zoom_in_ = 0, zoom_out_ = 0;
  float dolly_in_ = 0, dolly_out_ = 0;
  float orbit_amp_ = 0, orbit_cycles_ = 0;
  float shake_amp_ = 0, shake_hz_ = 0;

  Effects effects_;
};

// Smoothstep-like ease with zero slope at both ends (quintic).
inline float ease(float x) {
  x = x < 0 ? 0 : (x > 1 ? 1 : x);
  return x * x * x * (x * (x * 6 - 15) + 10);
}

}  // namespace reel::studio::detail
