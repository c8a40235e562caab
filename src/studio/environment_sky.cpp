// The sky dome: gradient, sun or moon with its glow, fbm clouds on a plane 2 km
// up, and a star field at night.
#include <cmath>

#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"
#include "studio/environment_world.hpp"

namespace reel::studio::env {
namespace {

Vec3 gradient(const SkyModel& s, float elevation) {
  float e = std::fmax(elevation, 0.0f);
  return mix(s.horizon, s.zenith, std::pow(e, 0.5f));
}

Vec3 glow(const SkyModel& s, Vec3 dir, float elevation) {
  float mu = std::fmax(dot(dir, s.sun_dir), 0.0f);
  // Broad glow hugs the horizon (long light paths), the tight halo does not.
  float near_horizon = 1.0f - 0.6f * std::fmin(std::fmax(elevation, 0.0f) * 2.5f, 1.0f);
  return s.glow * (std::pow(mu, s.glow_power) * 0.6f * near_horizon + std::pow(mu, 120.0f) * 0.8f);
}

float stars(const World& w, Vec3 d) {
  // Cells in (azimuth, elevation) about 3 pixels wide; one candidate star per cell.
  float cell = w.cam.pixel_angle() * 3.0f;
  float az = std::atan2(d.x, d.z) / cell;
  float el = std::asin(std::fmin(d.y, 1.0f)) / cell;
  float fx = std::floor(az), fy = std::floor(el);
  float out = 0;
  for (int oy = -1; oy <= 1; ++oy)
    for (int ox = -1; ox <= 1; ++ox) {
      auto h = hash64(static_cast<std::uint64_t>(static_cast<std::int64_t>(fx) + ox),
                      static_cast<std::uint64_t>(static_cast<std::int64_t>(fy) + oy), w.seed);
      if ((h & 0xFF) > 16) continue;  // ~7% of cells hold a star
      float sx = fx + ox + ((h >> 8) & 0xFFF) / 4096.0f;
      float sy = fy + oy + ((h >> 20) & 0xFFF) / 4096.0f;
      float r2 = ((az - sx) * (az - sx) + (el - sy) * (el - sy)) * 9.0f;  // in pixels^2
      float u = ((h >> 32) & 0xFFFF) / 65536.0f;
      float bright = 0.015f + 1.2f * std::pow(u, 7.0f);  // few bright, many faint
      out += bright * std::exp(-r2 * 1.6f);
    }
  return out;
}

}  // namespace

Vec3 sky_radiance(const World& w, Vec3 d, bool reflected) {
  const SkyModel& s = w.sky;
  float e = d.y;
  Vec3 c = gradient(s, e) + glow(s, d, e);
  float cloud = 0;
  if (e > 0.005f && s.cloud_cover > 0) {
    float t = 2000.0f / e;
    float px = d.x * t, pz = d.z * t;
    auto seed = w.seed + 77u;
    float n = fbm(px / 3500.0f, pz / 3500.0f, seed, 6) * 0.5f + 0.5f;
    float th = 1.0f - s.cloud_cover;
    cloud = smoothstep(th - 0.05f, th + 0.25f, n);
    // Lit side: density falls off towards the sun.
    float n2 =
        fbm((px + s.sun_dir.x * 500.0f) / 3500.0f, (pz + s.sun_dir.z * 500.0f) / 3500.0f, seed, 4) *
            0.5f +
        0.5f;
    float lit = clamp01(0.55f + (n - n2) * 6.0f);
    Vec3 cc = mix(s.cloud_shade, s.cloud_lit, lit);
    cc += glow(s, d, e) * 0.6f;
    cloud *= smoothstep(0.005f, 0.12f, e);  // thin out towards the horizon
    c = mix(c, cc, cloud * 0.92f);
  }
  if (s.star_brightness > 0 && e > 0 && !reflected) {
    float st = stars(w, d) * s.star_brightness * smoothstep(0.0f, 0.15f, e) * (1.0f - cloud);
    c += Vec3{0.9f, 0.92f, 1.0f} * (st * (1.0f - s.overcast));
  }
  // Sun or moon disk, anti-aliased over one pixel; clouds cover it.
  float ang = std::acos(std::fmin(dot(d, s.sun_dir), 1.0f));
  float pa = w.cam.pixel_angle();
  float disk = smoothstep(s.disk_radius + pa, s.disk_radius - pa, ang);
  if (disk > 0 && !reflected) {
    Vec3 dc = s.disk;
    if (s.moon) {
      // Maria: darker patches on the moon face.
      Vec3 up{0, 1, 0};
      float mx = (d.x - s.sun_dir.x) / s.disk_radius, my = (d.y - s.sun_dir.y) / s.disk_radius;
      (void)up;
      float m = fbm(mx * 1.7f + 3.0f, my * 1.7f, 99u, 4);
      dc = dc * (0.75f + 0.25f * smoothstep(0.15f, -0.2f, m));
    }
    c = mix(c, dc, disk * (1.0f - cloud) * (1.0f - s.overcast * 0.9f));
  }
  if (s.overcast > 0) {
    float grad = 0.85f + 0.3f * std::fmax(e, 0.0f);
    Vec3 oc = s.overcast_colour * grad;
    // A little texture so the overcast reads as cloud, not a flat fill.
    if (e > 0.0f) {
      float t = 1500.0f / std::fmax(e, 0.02f);
      float n = fbm(d.x * t / 2500.0f, d.z * t / 2500.0f, w.seed + 5u, 4);
      oc = oc * (1.0f + 0.18f * n);
    }
    c = mix(c, oc + glow(s, d, e) * 0.15f, s.overcast);
  }
  return c;
}

Vec3 haze_colour(const World& w, Vec3 dir) {
  const SkyModel& s = w.sky;
  Vec3 flat = normalize({dir.x, 0.03f, dir.z});
  Vec3 c = s.horizon + glow(s, flat, 0.0f) * 0.7f;
  if (s.overcast > 0) c = mix(c, s.overcast_colour * 0.9f, s.overcast);
  if (w.atmo.fog_tint_mix > 0)
    c = mix(c, w.atmo.fog_tint * (luminance(c) / std::fmax(luminance(w.atmo.fog_tint), 1e-4f)),
            w.atmo.fog_tint_mix);
  return c * w.atmo.fog_dim;
}

}  // namespace reel::studio::env
