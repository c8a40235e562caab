#include "studio/animator_timeline.hpp"

#include <cmath>

#include "reel/studio/noise.hpp"

namespace reel::studio::detail {
namespace {

constexpr float kPi = 3.14159265f;
constexpr float kDeg = kPi / 180.0f;

float pick(Intensity i, float subtle, float normal, float strong) {
  return i == Intensity::subtle ? subtle : (i == Intensity::strong ? strong : normal);
}
float pick(Speed s, float slow, float normal, float fast) {
  return s == Speed::slow ? slow : (s == Speed::fast ? fast : normal);
}
float sin2(float x) {
  float s = std::sin(x);
  return s * s;
}

}  // namespace

float MotionTimeline::eval_ramp(const Ramp& r, float u) {
  if (u <= r.t0) return 0;
  if (u < r.t1) return r.target * ease((u - r.t0) / (r.t1 - r.t0));
  // Hold, with a slight overshoot-and-return whose slope is zero at both ends.
  const float s = (u - r.t1) / std::max(1e-3f, 1.0f - r.t1);
  return r.target * (1.0f + r.settle * sin2(kPi * std::min(s, 1.0f)));
}

MotionTimeline::MotionTimeline(const MotionPlan& plan, double duration, int width, int height,
                               std::uint64_t seed)
    : duration_(duration > 0 ? duration : 1.0),
      width_(width),
      height_(height),
      seed_(static_cast<std::uint32_t>(hash64(seed, 0xA11A))) {
  std::vector<const MotionPrimitive*> turns;
  std::vector<const MotionPrimitive*> looks;
  for (const MotionPrimitive& p : plan.primitives) {
    const float speed_gain = pick(p.speed, 0.6f, 1.0f, 1.6f);
    const float effect_gain = pick(p.intensity, 0.5f, 1.0f, 1.8f);
    auto effect = [&](EffectParams& e) {
      e.amount = std::max(e.amount, effect_gain);
      e.speed = pick(p.speed, 0.55f, 1.0f, 1.8f);
      e.wind_x = p.direction_x != 0 ? p.direction_x : 1.0f;
    };
    if (p.kind == "head_turn") {
      turns.push_back(&p);
    } else if (p.kind == "look_up" || p.kind == "look_down") {
      looks.push_back(&p);
    } else if (p.kind == "nod") {
      nod_amp_ = pick(p.intensity, 7.0f, 12.0f, 18.0f) * kDeg;
      nod_hz_ = pick(p.speed, 0.55f, 0.9f, 1.5f);
    } else if (p.kind == "breathe") {
      breath_amp_ = pick(p.intensity, 0.5f, 0.8f, 1.0f);
      breath_hz_ = pick(p.speed, 0.18f, 0.25f, 0.4f);
    } else if (p.kind == "wave") {
      wave_amp_ = pick(p.intensity, 0.7f, 1.0f, 1.15f);
      wave_hz_ = pick(p.speed, 1.0f, 1.6f, 2.4f);
    } else if (p.kind == "walk") {
      walk_amp_ = pick(p.intensity, 0.5f, 0.8f, 1.0f);
      walk_hz_ = pick(p.speed, 0.6f, 0.9f, 1.4f);
    } else if (p.kind == "pan") {
      // "pan left": the camera turns left, so the picture content moves right.
      pan_x_ += -p.direction_x * pick(p.intensity, 0.03f, 0.06f, 0.12f) * speed_gain * width;
    } else if (p.kind == "tilt") {
      pan_y_ += p.direction_y * pick(p.intensity, 0.03f, 0.06f, 0.12f) * speed_gain * height;
    } else if (p.kind == "zoom_in") {
      zoom_in_ = pick(p.intensity, 0.06f, 0.12f, 0.22f) * speed_gain;
    } else if (p.kind == "zoom_out") {
      zoom_out_ = pick(p.intensity, 0.06f, 0.12f, 0.22f) * speed_gain;
    } else if (p.kind == "dolly_in") {
      dolly_in_ = pick(p.intensity, 0.08f, 0.15f, 0.28f) * speed_gain;
    } else if (p.kind == "dolly_out") {
      dolly_out_ = pick(p.intensity, 0.08f, 0.15f, 0.28f) * speed_gain;
    } else if (p.kind == "orbit") {
      orbit_amp_ =
          (p.direction_x < 0 ? -1.0f : 1.0f) * pick(p.intensity, 0.025f, 0.045f, 0.08f) * width;
      orbit_cycles_ = pick(p.speed, 0.35f, 0.5f, 1.0f);
    } else if (p.kind == "shake") {
      shake_amp_ = pick(p.intensity, 0.004f, 0.008f, 0.016f) * height;
      shake_hz_ = pick(p.speed, 0.7f, 1.2f, 2.2f);
    } else if (p.kind == "dust") {
      effect(effects_.dust);
    } else if (p.kind == "clouds") {
      effect(effects_.clouds);
    } else if (p.kind == "rain") {
      effect(effects_.rain);
    } else if (p.kind == "snow") {
      effect(effects_.snow);
    } else if (p.kind == "fog") {
      effect(effects_.fog);
    }
  }

  // Head turns chain one after another, each within its share of the clip.
  const std::size_t n = turns.size();
  for (std::size_t k = 0; k < n; ++k) {
    const MotionPrimitive& p = *turns[k];
    const float seg0 = static_cast<float>(k) / n, seg = 1.0f / n;
    const float frac = pick(p.speed, 0.8f, 0.6f, 0.35f);
    const float start = seg0 + seg * 0.04f;
    Ramp yaw;
    Ramp pitch;
    float desired_yaw;
    if (p.direction == "towards the camera") {
      // Turning to face the camera: start turned away, come round to zero.
      if (k == 0) yaw_.push_back(Ramp{25 * kDeg, -1, -0.5f, 0});
      desired_yaw = 0;
    } else {
      desired_yaw = (p.direction_x < 0 ? -1.0f : 1.0f) * pick(p.intensity, 20.f, 35.f, 55.f) * kDeg;
    }
    yaw.t0 = pitch.t0 = start;
    yaw.t1 = pitch.t1 = start + seg * frac;
    yaw.settle = pitch.settle = 0.04f;
    // Chained ramps add up: each one moves from the previous target to its own.
    float prev_yaw = 0, prev_pitch = 0;
    for (const Ramp& r : yaw_) prev_yaw += r.target;
    for (const Ramp& r : pitch_) prev_pitch += r.target;
    yaw.target = desired_yaw - prev_yaw;
    pitch.target = p.direction_y * 20 * kDeg - prev_pitch;
    yaw_.push_back(yaw);
    pitch_.push_back(pitch);
    if (k == n - 1 && p.direction_x != 0 && p.direction != "towards the camera")
      stage_x_ = p.direction_x > 0 ? 0.44f : 0.56f;
  }
  for (const MotionPrimitive* p : looks) {
    Ramp r;
    r.target = (p->kind == "look_up" ? 1.0f : -1.0f) * pick(p->intensity, 15.f, 25.f, 35.f) * kDeg;
    r.t0 = 0.05f;
    r.t1 = 0.05f + pick(p->speed, 0.8f, 0.55f, 0.3f);
    r.settle = 0.04f;
    pitch_.push_back(r);
  }

  camera_moves_ = pan_x_ != 0 || pan_y_ != 0 || zoom_in_ != 0 || zoom_out_ != 0 || dolly_in_ != 0 ||
                  dolly_out_ != 0 || orbit_amp_ != 0 || shake_amp_ != 0;
  character_moves_ = true;  // breathing is always on
}

Pose MotionTimeline::pose_at(double t_seconds) const {
  const float t = static_cast<float>(t_seconds);
  const float u = static_cast<float>(t_seconds / duration_);
  Pose pose;
  for (const Ramp& r : yaw_) pose.head_yaw += r.t1 < 0 ? r.target : eval_ramp(r, u);
  for (const Ramp& r : pitch_) pose.head_pitch += eval_ramp(r, u);
  // A person turning their head lets the shoulders follow a little.
  pose.torso_yaw = 0.15f * pose.head_yaw;
  if (nod_amp_ > 0) pose.head_pitch -= nod_amp_ * sin2(kPi * nod_hz_ * t);
  pose.breath = breath_amp_ * 0.5f * (1.0f - std::cos(2 * kPi * breath_hz_ * t));
  if (wave_amp_ > 0) {
    const float up = ease(u / 0.15f);
    pose.arm_right_raise = 2.3f * wave_amp_ * up;
    // The swing fades in with the raise, so it starts from rest.
    pose.forearm_right_bend = up * (0.6f + 0.45f * wave_amp_ * std::sin(2 * kPi * wave_hz_ * t));
  }
  if (walk_amp_ > 0) {
    const float on = ease(u / 0.12f);
    pose.walk_amount = walk_amp_ * on;
    pose.walk_phase = 2 * kPi * walk_hz_ * t;
    pose.bob = 0.008f * walk_amp_ * on * 0.5f * (1.0f - std::cos(2 * pose.walk_phase));
  }
  return pose;
}

CameraState MotionTimeline::camera_at(double t_seconds) const {
  CameraState c;
  if (!camera_moves_) return c;
  const float t = static_cast<float>(t_seconds);
  const float u = static_cast<float>(t_seconds / duration_);
  const float e = ease(u);
  c.tx = pan_x_ * e;
  c.ty = pan_y_ * e;
  c.zoom = 1.0f + zoom_in_ * e + zoom_out_ * (1.0f - e);
  c.dolly = dolly_in_ * e + dolly_out_ * (1.0f - e);
  c.orbit = orbit_amp_ * std::sin(2 * kPi * orbit_cycles_ * u);
  if (shake_amp_ > 0) {
    const float x = t * shake_hz_;
    c.shake_x = shake_amp_ * (perlin2(x, 0.37f, seed_) + 0.5f * perlin2(2 * x, 5.1f, seed_));
    c.shake_y =
        shake_amp_ * (perlin2(x, 9.73f, seed_ + 1) + 0.5f * perlin2(2 * x, 2.9f, seed_ + 1));
  }
  return c;
}

}  // namespace reel::studio::detail
