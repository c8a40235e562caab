#include "studio/animator_effects.hpp"

#include <algorithm>
#include <cmath>

#include "reel/studio/noise.hpp"
#include "studio/animator_pixels.hpp"

namespace reel::studio::detail {
namespace {

constexpr float kTau = 6.2831853f;

float wrap(float v, float lo, float hi) {
  const float span = hi - lo;
  float r = std::fmod(v - lo, span);
  if (r < 0) r += span;
  return lo + r;
}

std::array<float, 3> mix3(const std::array<float, 3>& a, const std::array<float, 3>& b, float t) {
  return {lerp(a[0], b[0], t), lerp(a[1], b[1], t), lerp(a[2], b[2], t)};
}

}  // namespace

EffectsRenderer::EffectsRenderer(const Effects& effects, const Backdrop& backdrop,
                                 const model::Light& light, std::array<float, 3> dust_rgb,
                                 double duration, std::uint64_t seed)
    : effects_(effects), backdrop_(backdrop) {
  width_ = backdrop.rgba.width();
  height_ = backdrop.rgba.height();
  if (!effects_.any()) return;
  const float size_scale = height_ / 720.0f;
  margin_ = 40.0f + 40.0f * size_scale;

  // 1. Static atmosphere weights from depth: far pixels take haze, the farthest
  //    (sky) take clouds.
  const std::size_t n = static_cast<std::size_t>(width_) * height_;
  haze_weight_.assign(n, 0);
  sky_weight_.assign(n, 0);
  float f_min = 1e9f;
  if (!backdrop.parallax.empty())
    for (std::size_t i = 0; i < n; ++i) f_min = std::min(f_min, backdrop.parallax.data()[i]);
  double horizon_rgb[3] = {0, 0, 0}, horizon_w = 0;
  for (int y = 0; y < height_; ++y)
    for (int x = 0; x < width_; ++x) {
      float far, sky;
      if (backdrop.parallax.empty()) {
        far = clamp01(1.0f - y / (0.8f * height_));
        sky = 1.0f - smoothstep(0.3f * height_, 0.42f * height_, static_cast<float>(y));
      } else {
        const float f = backdrop.parallax.at(x, y);
        far = 1.0f - std::min(f, 1.0f);
        sky = 1.0f - smoothstep(f_min * 1.02f, f_min * 1.5f, f);  // sky has the max depth
      }
      far = far * std::sqrt(far);
      const std::size_t i = static_cast<std::size_t>(y) * width_ + x;
      haze_weight_[i] = static_cast<std::uint8_t>(far * 255.0f + 0.5f);
      sky_weight_[i] = static_cast<std::uint8_t>(sky * 255.0f + 0.5f);
      const std::uint8_t* p = backdrop.rgba.u8_pixel(x, y);
      for (int c = 0; c < 3; ++c) horizon_rgb[c] += p[c] * far;
      horizon_w += far;
    }
  std::array<float, 3> horizon{0.7f, 0.7f, 0.72f};
  if (horizon_w > 0)
    for (int c = 0; c < 3; ++c) horizon[c] = static_cast<float>(horizon_rgb[c] / horizon_w / 255.0);

  // 2. Colours, all taken from the scene so effects sit in its light.
  dust_rgb_ = {std::min(1.0f, dust_rgb[0] * 1.3f + 0.06f),
               std::min(1.0f, dust_rgb[1] * 1.3f + 0.05f),
               std::min(1.0f, dust_rgb[2] * 1.3f + 0.04f)};
  const float amb =
      std::clamp((light.ambient[0] + light.ambient[1] + light.ambient[2]) / 1.2f, 0.75f, 1.0f);
  rain_rgb_ = {0.8f * amb + 0.1f, 0.82f * amb + 0.1f, 0.88f * amb + 0.1f};
  snow_rgb_ = {0.95f, 0.96f, 0.98f};
  fog_rgb_ = mix3(horizon, {0.82f, 0.82f, 0.84f}, 0.45f);
  cloud_rgb_ = {std::min(1.0f, 0.5f * light.color[0] + 0.6f * light.ambient[0] + 0.2f),
                std::min(1.0f, 0.5f * light.color[1] + 0.6f * light.ambient[1] + 0.2f),
                std::min(1.0f, 0.5f * light.color[2] + 0.6f * light.ambient[2] + 0.2f)};

  // 3. Atmosphere strength and drift.
  const float wscale = width_ / 1280.0f;
  if (effects_.fog.amount > 0) {
    haze_amount_ = std::min(0.85f, 0.5f * effects_.fog.amount);
    haze_rgb_ = fog_rgb_;
    haze_speed_px_ = 22.0f * effects_.fog.speed * effects_.fog.wind_x * wscale;
  } else if (effects_.dust.amount > 0) {
    haze_amount_ = 0.2f * effects_.dust.amount;
    haze_rgb_ = mix3(horizon, dust_rgb_, 0.5f);
    haze_speed_px_ = 30.0f * effects_.dust.speed * effects_.dust.wind_x * wscale;
  } else if (effects_.rain.amount > 0 || effects_.snow.amount > 0) {
    haze_amount_ = 0.12f * std::max(effects_.rain.amount, effects_.snow.amount);
    haze_rgb_ = fog_rgb_;
    haze_speed_px_ = 10.0f * wscale;
  }
  if (effects_.clouds.amount > 0) {
    cloud_amount_ = std::min(0.9f, 0.55f * effects_.clouds.amount);
    cloud_speed_px_ = 14.0f * effects_.clouds.speed * effects_.clouds.wind_x * wscale;
  }
  // Fold the amounts into the per-pixel weights (an effect that is off weighs 0).
  for (std::size_t i = 0; i < n; ++i) {
    haze_weight_[i] = static_cast<std::uint8_t>(haze_weight_[i] * haze_amount_ + 0.5f);
    sky_weight_[i] = static_cast<std::uint8_t>(sky_weight_[i] * cloud_amount_ + 0.5f);
  }
  for (int k = 0; k < 3; ++k) {
    haze8_[k] = static_cast<int>(haze_rgb_[k] * 255.0f + 0.5f);
    cloud8_[k] = static_cast<int>(cloud_rgb_[k] * 255.0f + 0.5f);
  }
  first_row_ = height_;
  for (int y = 0; y < height_ && first_row_ == height_; ++y)
    for (int x = 0; x < width_; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * width_ + x;
      if (haze_weight_[i] || sky_weight_[i]) {
        first_row_ = y;
        break;
      }
    }
  if (haze_amount_ > 0 || cloud_amount_ > 0) {
    const float drift = static_cast<float>(duration) *
                        std::max(std::fabs(haze_speed_px_), std::fabs(cloud_speed_px_));
    noise_w_ = static_cast<int>((width_ + drift) / kCell) + 4;
    noise_h_ = height_ / kCell + 3;
    haze_noise_.resize(static_cast<std::size_t>(noise_w_) * noise_h_);
    cloud_noise_.resize(haze_noise_.size());
    const auto s32 = static_cast<std::uint32_t>(hash64(seed, 0xF06));
    for (int y = 0; y < noise_h_; ++y)
      for (int x = 0; x < noise_w_; ++x) {
        const float px = x * kCell / (220.0f * size_scale), py = y * kCell / (110.0f * size_scale);
        const std::size_t i = static_cast<std::size_t>(y) * noise_w_ + x;
        haze_noise_[i] = clamp01(0.5f + 0.6f * fbm2(px, py, s32, 4));
        cloud_noise_[i] =
            smoothstep(0.5f, 0.85f, 0.5f + 0.6f * fbm2(px * 0.6f, py * 1.4f, s32 + 7, 5));
      }
  }

  // 4. Particles.
  add_particles(Kind::dust, effects_.dust, hash64(seed, 1));
  add_particles(Kind::snow, effects_.snow, hash64(seed, 2));
  add_particles(Kind::rain, effects_.rain, hash64(seed, 3));
}

void EffectsRenderer::add_particles(Kind kind, const EffectParams& e, std::uint64_t seed) {
  if (e.amount <= 0) return;
  const float area = static_cast<float>(width_) * height_ / (1280.0f * 720.0f);
  const float ss = height_ / 720.0f;
  const float per = kind == Kind::dust ? 340.0f : (kind == Kind::snow ? 380.0f : 900.0f);
  const int count = std::max(12, static_cast<int>(per * e.amount * area));
  Rng rng(seed);
  const float dom_w = width_ + 2 * margin_, dom_h = height_ + 2 * margin_;
  for (int i = 0; i < count; ++i) {
    Particle p{};
    p.kind = kind;
    p.x0 = -margin_ + rng.uniform() * dom_w;
    p.y0 = -margin_ + rng.uniform() * dom_h;
    const float z = kind == Kind::dust ? std::pow(rng.uniform(), 0.7f) : rng.uniform();
    const float near = 1.0f - z;
    p.z = z;
    p.phase = kTau * rng.uniform();
    p.sway_hz = 0.1f + 0.3f * rng.uniform();
    switch (kind) {
      case Kind::dust:
        p.y0 = height_ * (0.2f + 0.8f * rng.uniform());
        p.vx = e.wind_x * (20.0f + 110.0f * near) * e.speed * ss;
        p.vy = (-4.0f + 8.0f * rng.uniform()) * ss;
        p.sway_amp = (2.0f + 8.0f * near) * ss;
        p.radius = (0.7f + 3.2f * near * near) * ss;
        p.alpha = (0.3f + 0.55f * near) * std::min(1.0f, 0.6f + 0.4f * e.amount);
        break;
      case Kind::snow:
        p.vy = (30.0f + 90.0f * near) * e.speed * ss;
        p.vx = e.wind_x * 10.0f * e.speed * ss;
        p.sway_amp = (4.0f + 12.0f * near) * ss;
        p.sway_hz = 0.2f + 0.4f * rng.uniform();
        p.radius = (0.8f + 2.8f * near * near) * ss;
        p.alpha = 0.5f + 0.45f * near;
        break;
      case Kind::rain:
        p.vy = (900.0f + 900.0f * near) * e.speed * ss;
        p.vx = e.wind_x * 0.15f * p.vy;
        p.sway_amp = 0;
        p.radius = (0.5f + 0.7f * near) * ss;
        p.alpha = 0.16f + 0.3f * near;
        break;
    }
    particles_.push_back(p);
  }
}

void EffectsRenderer::draw_atmosphere(media::Image& frame, double t) const {
  if (haze_amount_ <= 0 && cloud_amount_ <= 0) return;
  const float tt = static_cast<float>(t);
  // The texture starts offset by the whole drift, so moving either way stays inside it.
  const float drift_total = (noise_w_ - 4) * kCell - width_;
  auto offset_for = [&](float speed) {
    return (speed >= 0 ? drift_total - speed * tt : -speed * tt) / kCell;
  };
  const float haze_off = offset_for(haze_speed_px_), cloud_off = offset_for(cloud_speed_px_);
  std::vector<float> haze_row(noise_w_), cloud_row(noise_w_);
  std::vector<int> haze_px(width_), cloud_px(width_);
  for (int y = first_row_; y < height_; ++y) {
    const float fy = (y + 0.5f) / kCell;
    const int iy = std::min(static_cast<int>(fy), noise_h_ - 2);
    const float ay = fy - iy;
    for (int x = 0; x < noise_w_; ++x) {
      const std::size_t i0 = static_cast<std::size_t>(iy) * noise_w_ + x, i1 = i0 + noise_w_;
      haze_row[x] = lerp(haze_noise_[i0], haze_noise_[i1], ay);
      cloud_row[x] = lerp(cloud_noise_[i0], cloud_noise_[i1], ay);
    }
    const std::uint8_t* hw = haze_weight_.data() + static_cast<std::size_t>(y) * width_;
    const std::uint8_t* sw = sky_weight_.data() + static_cast<std::size_t>(y) * width_;
    std::uint8_t* row = frame.u8() + static_cast<std::size_t>(y) * width_ * 4;
    // Noise per pixel first (a branch-free loop the compiler vectorises), then
    // the blend; coverage in 1/65536ths: weight (0..255, amount folded in) times
    // noise (0..257).
    const bool haze = haze_amount_ > 0, clouds = cloud_amount_ > 0;
    if (haze) noise_per_pixel(haze_row.data(), haze_off, 0.35f, haze_px.data());
    if (clouds) noise_per_pixel(cloud_row.data(), cloud_off, 0.0f, cloud_px.data());
    for (int x = 0; x < width_; ++x) {
      const int h = hw[x], c = sw[x];
      if (!h && !c) continue;
      std::uint8_t* p = row + x * 4;
      if (h) {
        const int a = h * haze_px[x];
        for (int k = 0; k < 3; ++k)
          p[k] = static_cast<std::uint8_t>(p[k] + (((haze8_[k] - p[k]) * a) >> 16));
      }
      if (c) {
        const int a = c * cloud_px[x];
        for (int k = 0; k < 3; ++k)
          p[k] = static_cast<std::uint8_t>(p[k] + (((cloud8_[k] - p[k]) * a) >> 16));
      }
    }
  }
}

void EffectsRenderer::noise_per_pixel(const float* row, float offset, float floor, int* out) const {
  const float hi = static_cast<float>(noise_w_ - 2);
  for (int x = 0; x < width_; ++x) {
    const float fx = std::clamp((x + 0.5f) / kCell + offset, 0.0f, hi);
    const int ix = static_cast<int>(fx);
    const float n = row[ix] + (row[ix + 1] - row[ix]) * (fx - ix);
    out[x] = static_cast<int>(257.0f * (floor + (1.0f - floor) * n));
  }
}

void EffectsRenderer::draw_particles(media::Image& frame, double t, const CameraState& cam,
                                     bool near_layer) const {
  const float tt = static_cast<float>(t);
  for (const Particle& p : particles_) {
    // Depth as a parallax factor: the character (f = 1) stands at z ≈ 0.3.
    const float f = lerp(kMaxParallax * 0.95f, 0.05f, p.z);
    if ((f > 1.0f) != near_layer) continue;
    const float x = wrap(p.x0 + p.vx * tt + p.sway_amp * std::sin(kTau * p.sway_hz * tt + p.phase),
                         -margin_, width_ + margin_);
    const float y = wrap(p.y0 + p.vy * tt, -margin_, height_ + margin_);
    float sx, sy;
    backdrop_.forward(cam, f, x, y, sx, sy);
    if (sx < -margin_ * 0.5f || sx > width_ + margin_ * 0.5f || sy < -margin_ * 0.5f ||
        sy > height_ + margin_ * 0.5f)
      continue;
    // Hidden where the ground there is nearer than the particle.
    float vis = 1.0f;
    if (!backdrop_.parallax.empty()) {
      const float fb = backdrop_.f_at(static_cast<int>(x), static_cast<int>(y));
      vis = 1.0f - smoothstep(f + 0.02f, f + 0.2f, fb);
      if (vis <= 0) continue;
    }
    if (p.kind == Kind::rain)
      draw_streak(frame, sx, sy, p, vis);
    else
      draw_sprite(frame, sx, sy, p, vis);
  }
}

void EffectsRenderer::draw_sprite(media::Image& frame, float cx, float cy, const Particle& p,
                                  float vis) const {
  const float* rgb = p.kind == Kind::dust ? dust_rgb_.data() : snow_rgb_.data();
  // Sprites under a pixel wide spread over one so they glide rather than snap.
  const float r = std::max(p.radius, 0.8f);
  const float a = p.alpha * vis * std::min(1.0f, p.radius / 0.8f);
  const int x0 = std::max(0, static_cast<int>(cx - r - 1)),
            x1 = std::min(width_, static_cast<int>(cx + r + 2));
  const int y0 = std::max(0, static_cast<int>(cy - r - 1)),
            y1 = std::min(height_, static_cast<int>(cy + r + 2));
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      const float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
      const float d = std::sqrt(dx * dx + dy * dy);
      const float cov = 1.0f - smoothstep(r * 0.3f, r + 0.5f, d);
      if (cov > 0) blend_straight(frame.u8_pixel(x, y), rgb, a * cov);
    }
}

void EffectsRenderer::draw_streak(media::Image& frame, float cx, float cy, const Particle& p,
                                  float vis) const {
  // A streak is the drop's path during a short exposure: head at (cx, cy), tail behind.
  const float speed = std::sqrt(p.vx * p.vx + p.vy * p.vy);
  const float len = speed * 0.022f;
  const float tx = cx - p.vx / speed * len, ty = cy - p.vy / speed * len;
  const int y0 = std::max(0, static_cast<int>(std::min(ty, cy))),
            y1 = std::min(height_, static_cast<int>(std::max(ty, cy)) + 1);
  const float half = p.radius * 0.5f + 0.5f;
  for (int y = y0; y < y1; ++y) {
    const float s = std::clamp((y + 0.5f - ty) / (cy - ty), 0.0f, 1.0f);  // 0 tail .. 1 head
    const float x = lerp(tx, cx, s);
    const float a = p.alpha * vis * (0.3f + 0.7f * s);
    const int xa = std::max(0, static_cast<int>(x - half - 1)),
              xb = std::min(width_, static_cast<int>(x + half + 2));
    for (int px = xa; px < xb; ++px) {
      const float cov = 1.0f - smoothstep(half - 0.5f, half + 0.5f, std::fabs(px + 0.5f - x));
      if (cov > 0) blend_straight(frame.u8_pixel(px, y), rain_rgb_.data(), a * cov);
    }
  }
}

}  // namespace reel::studio::detail
