// Outer space: a star field, a nebula, a lit planet with an atmosphere rim and a
// small moon. Everything here is beyond the far plane: depth is kFarPlane for
// the planet and moon (so a matte can tell them from empty space) and kSkyDepth
// elsewhere.
#include <algorithm>
#include <cmath>

#include "reel/core/thread_pool.hpp"
#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"
#include "studio/environment_render.hpp"

namespace reel::studio::env {
namespace {

float star_field(float x, float y, std::uint32_t seed, float cell) {
  float fx = std::floor(x / cell), fy = std::floor(y / cell);
  float out = 0;
  for (int oy = -1; oy <= 1; ++oy)
    for (int ox = -1; ox <= 1; ++ox) {
      auto h = hash64(static_cast<std::uint64_t>(static_cast<std::int64_t>(fx) + ox),
                      static_cast<std::uint64_t>(static_cast<std::int64_t>(fy) + oy), seed);
      if ((h & 0xFF) > 22) continue;
      float sx = (fx + ox + ((h >> 8) & 0xFFF) / 4096.0f) * cell;
      float sy = (fy + oy + ((h >> 20) & 0xFFF) / 4096.0f) * cell;
      float u = ((h >> 32) & 0xFFFF) / 65536.0f;
      float b = 0.02f + 3.0f * std::pow(u, 8.0f);
      float r2 = (x - sx) * (x - sx) + (y - sy) * (y - sy);
      out += b * std::exp(-r2 * 1.8f);
    }
  return out;
}

struct Body {
  float cx, cy, r;  // pixels
};

}  // namespace

void render_space(World& w, Frame& f) {
  const float H = static_cast<float>(f.height), W = static_cast<float>(f.width);
  const float s = H / 720.0f;
  Vec3 sun = normalize({-0.75f, 0.45f, -0.35f});  // behind-left of the camera, above
  w.light.sun_dir = sun;
  w.light.sun = srgb(1.0f, 0.98f, 0.95f) * 2.4f;
  w.light.sky_ambient = srgb(0.05f, 0.05f, 0.08f);
  w.light.ground_ambient = {0, 0, 0};
  w.light.exposure = 1.0f;
  Rng rng(w.seed + 700);
  Body planet{W * rng.uniform(0.62f, 0.78f), H * rng.uniform(0.72f, 0.85f),
              H * rng.uniform(0.42f, 0.5f)};
  Body moon{W * rng.uniform(0.15f, 0.3f), H * rng.uniform(0.22f, 0.35f),
            H * rng.uniform(0.04f, 0.06f)};
  float tilt = rng.uniform(-0.4f, 0.4f);
  const std::uint32_t seed = w.seed;
  // Camera-space light for shading spheres seen face on: +z towards the viewer.
  Vec3 lc{sun.x, sun.y, -sun.z};

  reel::parallel_for(static_cast<std::size_t>(f.height), 8, [&](std::size_t b, std::size_t e) {
    for (std::size_t row = b; row < e; ++row) {
      for (int col = 0; col < f.width; ++col) {
        std::size_t i = f.index(col, static_cast<int>(row));
        float x = col + 0.5f, y = row + 0.5f;
        float u = x / H, v = y / H;
        // 1. Nebula: domain-warped fbm with darker dust lanes.
        float wx = fbm(u * 1.5f, v * 1.5f, seed + 1, 4),
              wy = fbm(u * 1.5f + 5.2f, v * 1.5f, seed + 2, 4);
        float n = fbm(u * 2.0f + wx * 1.2f, v * 2.0f + wy * 1.2f, seed + 3, 6) * 0.5f + 0.5f;
        float hue = fbm(u * 0.8f, v * 0.8f, seed + 4, 3) * 0.5f + 0.5f;
        float band = std::exp(-std::pow((v - 0.35f - 0.25f * u + 0.2f * wx) / 0.35f, 2.0f));
        float dens = std::pow(smoothstep(0.35f, 0.85f, n), 1.5f) * (0.25f + band);
        Vec3 neb = mix(srgb(0.55f, 0.12f, 0.45f), srgb(0.12f, 0.30f, 0.70f), hue);
        neb = mix(neb, srgb(0.85f, 0.45f, 0.25f), smoothstep(0.7f, 0.95f, n) * 0.6f);
        float lanes = smoothstep(0.1f, 0.5f, fbm(u * 4.0f + wy, v * 4.0f + wx, seed + 5, 4));
        Vec3 c = srgb(0.01f, 0.012f, 0.025f) + neb * (dens * 0.45f * (1.0f - 0.7f * lanes));
        // 2. Stars, fewer behind the dust lanes.
        float st = star_field(x / s, y / s, seed + 6, 3.0f) +
                   star_field(x / s, y / s, seed + 7, 11.0f) * 2.0f;
        c += Vec3{0.95f, 0.95f, 1.0f} * (st * (1.0f - 0.6f * lanes));
        float depth = kSkyDepth;
        Surface surf = Surface::sky;
        // 3. Planet: an ocean world with continents and clouds, lit by the star.
        float px = (x - planet.cx) / planet.r, py = (planet.cy - y) / planet.r;
        float r2 = px * px + py * py;
        float aa = 1.5f / planet.r;
        if (r2 < (1 + aa) * (1 + aa)) {
          float nz = std::sqrt(std::max(0.0f, 1.0f - r2));
          Vec3 nrm{px, py, nz};
          // Texture coordinates: rotate by the axial tilt.
          float tx = px * std::cos(tilt) - py * std::sin(tilt);
          float ty = px * std::sin(tilt) + py * std::cos(tilt);
          float land = fbm3(tx * 2.2f, ty * 2.2f, nz * 2.2f, seed + 8, 5);
          float lat = std::fabs(ty);
          Vec3 albedo = mix(srgb(0.04f, 0.12f, 0.30f), srgb(0.07f, 0.22f, 0.42f), nz);
          if (land > 0.05f)
            albedo = mix(srgb(0.30f, 0.38f, 0.16f), srgb(0.55f, 0.45f, 0.30f),
                         smoothstep(0.1f, 0.35f, land));
          albedo = mix(albedo, srgb(0.9f, 0.92f, 0.95f), smoothstep(0.82f, 0.9f, lat));
          float cl = fbm3(tx * 4.0f + 9.0f, ty * 7.0f, nz * 4.0f, seed + 9, 5);
          albedo = mix(albedo, srgb(0.92f, 0.92f, 0.94f), smoothstep(0.05f, 0.4f, cl) * 0.85f);
          float ndl = dot(nrm, lc);
          float lit = smoothstep(-0.08f, 0.25f, ndl) * std::max(ndl, 0.0f) * 1.0f;
          Vec3 pc = albedo * (w.light.sun * lit + srgb(0.02f, 0.02f, 0.03f));
          // Atmosphere: a blue rim on the lit limb.
          float rim = std::pow(1.0f - nz, 3.0f) * smoothstep(-0.2f, 0.4f, ndl);
          pc += srgb(0.35f, 0.6f, 1.0f) * (rim * 1.2f);
          float cover = smoothstep(1.0f + aa, 1.0f - aa, std::sqrt(r2));
          c = mix(c, pc, cover);
          if (cover > 0.5f) {
            depth = kFarPlane;
            surf = Surface::object;
          }
        }
        // Halo of scattered light just outside the lit limb.
        float rr = std::sqrt(r2);
        if (rr > 1.0f && rr < 1.08f) {
          Vec3 nrm = normalize({px, py, 0.0f});
          float halo =
              std::pow(1.0f - (rr - 1.0f) / 0.08f, 2.0f) * std::max(dot(nrm, lc) + 0.3f, 0.0f);
          c += srgb(0.3f, 0.55f, 1.0f) * (halo * 0.5f);
        }
        // 4. Moon: grey, cratered.
        float mx = (x - moon.cx) / moon.r, my = (moon.cy - y) / moon.r;
        float m2 = mx * mx + my * my;
        float maa = 1.5f / moon.r;
        if (m2 < (1 + maa) * (1 + maa)) {
          float nz = std::sqrt(std::max(0.0f, 1.0f - m2));
          Vec3 nrm{mx, my, nz};
          float crater = worley2(mx * 4.0f + 10.0f, my * 4.0f, seed + 10);
          float albedo = 0.35f + 0.15f * fbm(mx * 3.0f, my * 3.0f, seed + 11, 4) -
                         0.1f * smoothstep(0.25f, 0.1f, crater);
          float ndl = std::max(dot(nrm, lc), 0.0f);
          Vec3 mc =
              Vec3{1, 1, 1} * (albedo * albedo) * (w.light.sun * ndl + Vec3{0.01f, 0.01f, 0.01f});
          float cover = smoothstep(1.0f + maa, 1.0f - maa, std::sqrt(m2));
          c = mix(c, mc, cover);
          if (cover > 0.5f) {
            depth = kFarPlane;
            surf = Surface::object;
          }
        }
        f.colour[i] = c;
        f.depth[i] = depth;
        f.surface[i] = surf;
      }
    }
  });
}

}  // namespace reel::studio::env
