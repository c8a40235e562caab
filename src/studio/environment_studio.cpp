// Studio: a seamless cyclorama (floor curving into the back wall), lit by a big
// soft key from the front left and a background light pooling behind where a
// subject would stand, with a soft shadow area on the floor for that subject.
#include <algorithm>
#include <cmath>

#include "reel/core/thread_pool.hpp"
#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"
#include "studio/environment_render.hpp"

namespace reel::studio::env {
namespace {

constexpr float kCoveStart = 7.0f;  // z where the floor starts curving up
constexpr float kCoveRadius = 3.0f;
constexpr float kWall = kCoveStart + kCoveRadius;
const Vec3 kSubject{0.0f, 1.0f, 5.0f};    // where a character would stand
const Vec3 kKeyLight{-3.5f, 6.0f, 1.5f};  // softbox position

struct CycHit {
  float t = -1;
  Vec3 n;
};

CycHit intersect(Vec3 o, Vec3 d) {
  CycHit h;
  if (d.y < 0) {
    float t = o.y / -d.y;
    if (o.z + d.z * t <= kCoveStart) return {t, {0, 1, 0}};
  }
  // Cove: the far half of a cylinder along x, centre (y = R, z = kCoveStart).
  float oy = o.y - kCoveRadius, oz = o.z - kCoveStart;
  float A = d.y * d.y + d.z * d.z, B = 2 * (oy * d.y + oz * d.z),
        C = oy * oy + oz * oz - kCoveRadius * kCoveRadius;
  float disc = B * B - 4 * A * C;
  if (disc >= 0 && A > 1e-8f) {
    float t = (-B + std::sqrt(disc)) / (2 * A);
    float y = o.y + d.y * t, z = o.z + d.z * t;
    if (t > 0 && z >= kCoveStart && y <= kCoveRadius)
      return {t, normalize({0, kCoveRadius - y, kCoveStart - z})};
  }
  if (d.z > 1e-6f) return {(kWall - o.z) / d.z, {0, 0, -1}};
  return h;
}

}  // namespace

void render_studio(World& w, Frame& f) {
  w.cam.pos = {0.0f, 1.5f, 0.0f};
  Vec3 base = w.spec.backdrop_colour
                  ? Vec3{(*w.spec.backdrop_colour)[0], (*w.spec.backdrop_colour)[1],
                         (*w.spec.backdrop_colour)[2]}
                  : srgb(0.80f, 0.79f, 0.77f);
  Vec3 key = srgb(1.0f, 0.98f, 0.95f) * 2.0f;
  w.light.sun_dir = normalize(kKeyLight - kSubject);
  w.light.sun = key;
  w.light.sky_ambient = (base * 0.35f + Vec3{0.12f, 0.12f, 0.12f}) * 1.0f;
  w.light.ground_ambient = base * 0.15f;
  w.light.exposure = 1.0f;
  const Camera& c = w.cam;
  reel::parallel_for(static_cast<std::size_t>(f.height), 8, [&](std::size_t b, std::size_t e) {
    for (std::size_t row = b; row < e; ++row) {
      for (int col = 0; col < f.width; ++col) {
        std::size_t i = f.index(col, static_cast<int>(row));
        Vec3 d = c.ray(col + 0.5f, row + 0.5f);
        CycHit h = intersect(c.pos, d);
        if (h.t <= 0) {
          f.colour[i] = base * 0.05f;
          continue;
        }
        Vec3 p = c.pos + d * h.t;
        // Soft key: cosine and inverse-square falloff from the softbox.
        Vec3 to_key = kKeyLight - p;
        float dist2 = dot(to_key, to_key);
        float ndl = std::max(dot(h.n, normalize(to_key)), 0.0f);
        Vec3 light = key * (ndl * 30.0f / dist2) + w.light.sky_ambient;
        // Background light: a pool on the wall and cove behind the subject.
        float bx = p.x, by = p.y - 2.0f;
        light += key * (0.35f * std::exp(-(bx * bx + by * by) / 18.0f) *
                        (0.3f + 0.7f * smoothstep(kCoveStart - 3.0f, kWall, p.z)));
        // The subject's soft shadow area on the floor, offset away from the key.
        if (h.n.y > 0.5f) {
          float sx = (p.x - 0.5f) / 1.1f, sz = (p.z - kSubject.z - 0.4f) / 0.7f;
          float sh = std::exp(-(sx * sx + sz * sz) * 1.2f);
          light = light * (1.0f - 0.45f * sh);
        }
        // Very gentle mottling so the paper does not look like a flat fill.
        float mottle = 1.0f + 0.015f * fbm(p.x * 0.6f, p.y * 0.6f + p.z * 0.6f, w.seed, 3);
        f.colour[i] = base * light * mottle;
        f.depth[i] = h.t;
        f.surface[i] = Surface::object;
      }
    }
  });
}

}  // namespace reel::studio::env
