#pragma once
// Environment effects drawn over the frames: drifting dust, rain streaks, snow
// flakes (particles), fog and dust haze, drifting clouds (per-pixel atmosphere).
// Every particle's position is a closed-form function of time from a seeded
// start, so the same particle moves continuously from frame to frame and wraps
// around only while it is off screen; nothing is re-seeded per frame.
#include <array>
#include <cstdint>
#include <vector>

#include "reel/media/image.hpp"
#include "reel/model/scene.hpp"
#include "studio/animator_camera.hpp"
#include "studio/animator_timeline.hpp"

namespace reel::studio::detail {

class EffectsRenderer {
 public:
  // dust_rgb: the ground's colour (0..1), which dust takes on.
  EffectsRenderer(const Effects& effects, const Backdrop& backdrop, const model::Light& light,
                  std::array<float, 3> dust_rgb, double duration, std::uint64_t seed);

  bool any() const { return effects_.any(); }
  // Fog, dust haze and clouds: per pixel, before the character is drawn.
  void draw_atmosphere(media::Image& frame, double t) const;
  // Particles behind (near = false) or in front of (near = true) the character.
  void draw_particles(media::Image& frame, double t, const CameraState& camera, bool near) const;

 private:
  enum class Kind { dust, rain, snow };
  struct Particle {
    Kind kind;
    float x0, y0;  // start position, pixels (in the wrap domain)
    float z;       // 0 near .. 1 far
    float vx, vy;  // pixels per second
    float sway_amp, sway_hz, phase;
    float radius, alpha;
  };
  void add_particles(Kind kind, const EffectParams& p, std::uint64_t seed);
  void draw_sprite(media::Image& frame, float cx, float cy, const Particle& p, float vis) const;
  // Noise of a row (cell resolution) at every pixel, scaled to floor..1 → 0..257.
  void noise_per_pixel(const float* row, float offset, float floor, int* out) const;
  void draw_streak(media::Image& frame, float cx, float cy, const Particle& p, float vis) const;

  Effects effects_;
  const Backdrop& backdrop_;
  int width_ = 0, height_ = 0;
  float margin_ = 0;  // particles wrap in [-margin, size + margin)
  std::vector<Particle> particles_;
  std::array<float, 3> dust_rgb_{}, rain_rgb_{}, snow_rgb_{}, fog_rgb_{}, cloud_rgb_{};

  // Atmosphere: static per-pixel weights (depth-based) at 1/kCell resolution of
  // the noise, and a noise texture wide enough to drift across for the clip.
  static constexpr int kCell = 8;
  std::vector<std::uint8_t> haze_weight_;  // per pixel, 0..255: how far (fog, dust haze)
  std::vector<std::uint8_t> sky_weight_;   // per pixel, 0..255: how much is sky (clouds)
  int first_row_ = 0;                      // rows above it have no atmosphere
  int noise_w_ = 0, noise_h_ = 0;
  std::vector<float> haze_noise_, cloud_noise_;  // 0..1
  float haze_amount_ = 0, cloud_amount_ = 0;
  std::array<float, 3> haze_rgb_{};
  int haze8_[3] = {0, 0, 0}, cloud8_[3] = {0, 0, 0};  // colours, 0..255
  float haze_speed_px_ = 0, cloud_speed_px_ = 0;      // pixels per second of drift
};

}  // namespace reel::studio::detail
