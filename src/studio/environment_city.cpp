// City street: the camera stands in the road looking down a straight street.
// Buildings are lots along two facade planes per side (a street wall and a taller
// row behind it); every pixel is an analytic ray cast against road, sidewalks,
// facades and the side walls where a taller lot rises behind a lower one.
#include <algorithm>
#include <cmath>
#include <vector>

#include "reel/core/thread_pool.hpp"
#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"
#include "studio/environment_render.hpp"
#include "studio/environment_terrain.hpp"

namespace reel::studio::env {
namespace {

constexpr float kRoadHalf = 7.0f;
constexpr float kFacade = 11.0f;   // street wall
constexpr float kBackRow = 38.0f;  // taller buildings behind
constexpr float kCurb = 0.15f;
constexpr float kStreetEnd = 2500.0f;

struct Lot {
  float z0, z1, height;
  Vec3 wall;
  float col_spacing, win_w, win_h, floor_h;
  bool glass;
  std::uint32_t seed;
};

struct Street {
  std::vector<Lot> near[2], back[2];  // [0] left (x < 0), [1] right
};

std::vector<Lot> make_lots(std::uint32_t seed, bool back) {
  std::vector<Lot> lots;
  Rng rng(seed);
  float z = -20.0f;
  while (z < kStreetEnd) {
    Lot l{};
    l.z0 = z;
    float w = back ? rng.uniform(20.0f, 45.0f) : rng.uniform(10.0f, 28.0f);
    l.z1 = z + w;
    l.floor_h = rng.uniform(3.2f, 3.8f);
    float floors = back ? rng.uniform(14.0f, 55.0f) : rng.uniform(3.0f, 11.0f);
    if (!back && rng.uniform() < 0.12f) floors = rng.uniform(14.0f, 30.0f);
    l.height = std::floor(floors) * l.floor_h + 1.0f;
    int kind = rng.integer(0, back ? 4 : 5);
    l.glass = kind >= 4;
    static const Vec3 walls[] = {srgb(0.56f, 0.30f, 0.22f), srgb(0.74f, 0.66f, 0.54f),
                                 srgb(0.58f, 0.58f, 0.57f), srgb(0.42f, 0.40f, 0.38f),
                                 srgb(0.28f, 0.33f, 0.38f), srgb(0.62f, 0.56f, 0.50f)};
    l.wall = walls[kind] * rng.uniform(0.85f, 1.1f);
    l.col_spacing = rng.uniform(2.4f, 3.8f);
    l.win_w = l.glass ? 0.88f : rng.uniform(0.4f, 0.65f);
    l.win_h = l.glass ? 0.78f : rng.uniform(0.45f, 0.62f);
    l.seed = static_cast<std::uint32_t>(rng.next_u64());
    lots.push_back(l);
    z = l.z1;
  }
  return lots;
}

const Lot* lot_at(const std::vector<Lot>& lots, float z) {
  auto it =
      std::upper_bound(lots.begin(), lots.end(), z, [](float v, const Lot& l) { return v < l.z1; });
  if (it == lots.end() || z < it->z0) return nullptr;
  return &*it;
}

// Fraction of [x - w/2, x + w/2] where frac(u) lies in [lo, hi]: a box-filtered
// pulse train, so distant windows average out instead of shimmering.
float pulse(float x, float w, float lo, float hi) {
  auto F = [&](float u) {
    float fl = std::floor(u);
    return fl * (hi - lo) + std::clamp(u - fl, lo, hi) - lo;
  };
  if (w < 1e-4f) {
    float f = x - std::floor(x);
    return (f >= lo && f <= hi) ? 1.0f : 0.0f;
  }
  return std::clamp((F(x + w * 0.5f) - F(x - w * 0.5f)) / w, 0.0f, 1.0f);
}

struct Hit {
  float t = -1;
  Vec3 p, n;
  const Lot* lot = nullptr;
  bool ground = false;
  float along = 0;  // metres along the facade (for windows)
};

Hit cast(const Street& s, Vec3 o, Vec3 d) {
  Hit best;
  // Ground: road at 0, sidewalks at kCurb.
  if (d.y < -1e-5f) {
    float t = (o.y - kCurb) / -d.y;
    Vec3 p = o + d * t;
    if (std::fabs(p.x) < kRoadHalf) {
      t = o.y / -d.y;
      p = o + d * t;
      if (std::fabs(p.x) > kRoadHalf) {  // curb face
        p.x = std::copysign(kRoadHalf, p.x);
      }
    }
    best.t = t;
    best.p = p;
    best.n = {0, 1, 0};
    best.ground = true;
  }
  if (std::fabs(d.x) < 1e-6f) return best;
  int side = d.x > 0 ? 1 : 0;
  float sign = d.x > 0 ? 1.0f : -1.0f;
  float t = (sign * kFacade - o.x) / d.x;
  if (best.t > 0 && best.t < t) return best;  // the ground is nearer
  Vec3 p = o + d * t;
  if (const Lot* l = lot_at(s.near[side], p.z); l && p.y < l->height) {
    best = {t, p, {-sign, 0, 0}, l, false, p.z - l->z0};
    return best;
  }
  // Above the street wall: side walls of taller lots further along, then the back row.
  const auto& lots = s.near[side];
  auto it = std::upper_bound(lots.begin(), lots.end(), p.z,
                             [](float v, const Lot& l) { return v < l.z1; });
  float prev_h = it != lots.end() ? it->height : 0.0f;
  float tb = (sign * kBackRow - o.x) / d.x;
  for (int k = 0; k < 40 && it != lots.end() && d.z > 1e-5f; ++k) {
    float zb = it->z1;
    float tz = (zb - o.z) / d.z;
    if (tz > tb) break;
    auto next = std::next(it);
    if (next == lots.end()) break;
    Vec3 q = o + d * tz;
    if (next->height > q.y && next->height > prev_h) {
      return {tz, q, {0, 0, -1}, &*next, false, sign * q.x - kFacade};
    }
    prev_h = next->height;
    it = next;
  }
  Vec3 q = o + d * tb;
  if (const Lot* l = lot_at(s.back[side], q.z); l && q.y < l->height)
    return {tb, q, {-sign, 0, 0}, l, false, q.z - l->z0};
  return best;
}

bool in_shadow(const Street& s, Vec3 p, Vec3 sun) {
  if (sun.y <= 0) return true;
  if (std::fabs(sun.x) < 1e-4f) return false;
  int side = sun.x > 0 ? 1 : 0;
  float sign = sun.x > 0 ? 1.0f : -1.0f;
  if (sign * p.x >= kFacade - 0.01f) return false;  // on the sun-side wall itself
  float t = (sign * kFacade - p.x) / sun.x;
  Vec3 q = p + sun * t;
  const Lot* l = lot_at(s.near[side], q.z);
  return l && q.y < l->height;
}

Vec3 shade_facade(const World& w, const Street& s, const Hit& h, Vec3 d, float t) {
  const Lot& l = *h.lot;
  const Lighting& L = w.light;
  float fp = t * w.cam.pixel_angle();
  float fz = fp / std::max(std::fabs(dot(d, h.n)), 0.05f);
  float u = h.along / l.col_spacing, v = h.p.y / l.floor_h;
  float cu = pulse(u, fz / l.col_spacing, 0.5f - l.win_w * 0.5f, 0.5f + l.win_w * 0.5f);
  float cv = pulse(v, fp / l.floor_h, 0.3f, 0.3f + l.win_h);
  float win = cu * cv;
  bool ground_floor = h.p.y < 4.2f && h.n.z == 0.0f;
  if (ground_floor)
    win = h.p.y > 0.4f && h.p.y < 3.3f ? pulse(h.along / 6.0f, fz / 6.0f, 0.08f, 0.92f) : 0.0f;
  if (h.p.y > l.height - 0.8f) win = 0;  // cornice
  Vec3 wall = l.wall * (1.0f + 0.08f * noise2(h.along / 3.0f, h.p.y / 3.0f, l.seed));
  if (h.p.y > l.height - 0.8f) wall = wall * 1.15f;
  bool night = w.spec.time == TimeOfDay::night;
  float ndl = std::max(dot(h.n, L.sun_dir), 0.0f);
  bool shadowed = ndl > 0 && in_shadow(s, h.p + h.n * 0.05f, L.sun_dir);
  float lit = shadowed ? 0.0f : ndl;
  Vec3 diffuse = wall * (L.sun * lit + L.sky_ambient * 0.8f + L.ground_ambient * 0.5f);
  // Glass: the sky reflected, over a dark interior; some windows lit at night.
  Vec3 r = d - h.n * (2.0f * dot(d, h.n));
  bool ground_glass = h.p.y < 4.2f;
  Vec3 glass = sky_radiance(w, normalize({r.x, std::max(r.y, 0.02f), r.z}), true) *
                   (ground_glass ? 0.1f : 0.4f) +
               srgb(0.07f, 0.075f, 0.08f);
  auto wi = hash64(static_cast<std::uint64_t>(std::floor(u) + 1000),
                   static_cast<std::uint64_t>(std::floor(v)), l.seed);
  float lit_prob = night ? 0.35f : 0.06f;
  float on = (wi & 0xFF) / 255.0f < lit_prob ? 1.0f : 0.0f;
  if (fz > l.col_spacing) on = lit_prob;  // averaged over many windows
  Vec3 lamp = srgb(1.0f, 0.78f, 0.48f) * (night ? 0.9f : 0.2f);
  if (ground_floor && win > 0) {
    // Shops: each 6 m bay lit or closed on its own.
    auto bay = hash64(static_cast<std::uint64_t>(std::floor(h.along / 6.0f) + 1000), 7, l.seed);
    float open = (bay & 0xFF) / 255.0f;
    on = night ? (open < 0.6f ? 0.2f + 0.4f * open : 0.0f) : 0.2f;
  }
  glass = glass + lamp * on;
  return mix(diffuse, glass, win);
}

Vec3 shade_ground(const World& w, const Street& s, const Hit& h, Vec3 d, float t) {
  const Lighting& L = w.light;
  float fp = t * w.cam.pixel_angle() / std::max(std::fabs(d.y), 0.02f);
  float x = h.p.x, z = h.p.z;
  Vec3 albedo;
  float spec = 0.0f;
  if (std::fabs(x) < kRoadHalf) {
    float n = fbm(x / 1.5f, z / 1.5f, w.seed + 900, lod_octaves(1.5f, fp, 4));
    albedo = srgb(0.40f, 0.40f, 0.40f) * (1.0f + 0.15f * n);
    // Dashed centre line and solid edge lines, box-filtered.
    float fx = t * w.cam.pixel_angle();
    float centre = pulse((x + 0.1f) / 0.2f, fx / 0.2f, 0.0f, 1.0f) *
                   (std::fabs(x) < 0.3f ? pulse(z / 9.0f, fp / 9.0f, 0.0f, 0.35f) : 0.0f);
    float edge = std::fabs(std::fabs(x) - 6.6f) < 0.5f
                     ? pulse((std::fabs(x) - 6.5f) / 0.15f, fx / 0.15f, 0.0f, 1.0f)
                     : 0.0f;
    albedo = mix(albedo, srgb(0.85f, 0.85f, 0.8f), std::clamp(centre + edge, 0.0f, 1.0f));
    spec = 0.04f;
  } else {
    albedo = srgb(0.55f, 0.54f, 0.52f);
    float joints = 1.0f - pulse(x / 1.5f, t * w.cam.pixel_angle() / 1.5f, 0.0f, 0.03f) * 0.5f -
                   pulse(z / 1.5f, fp / 1.5f, 0.0f, 0.03f) * 0.5f;
    albedo = albedo * joints * (1.0f + 0.08f * noise2(x / 2.0f, z / 2.0f, w.seed + 901));
    if (std::fabs(x) < kRoadHalf + 0.25f) albedo = srgb(0.66f, 0.65f, 0.62f);  // curb
  }
  GroundPoint g;
  g.albedo = albedo;
  g.specular = spec;
  g.shadow = in_shadow(s, h.p + Vec3{0, 0.02f, 0}, L.sun_dir) ? 0.0f : 1.0f;
  Vec3 c = shade_surface(w, g, {0, 1, 0}, d);
  // Light bounced off the sunlit facades fills the street's shadow.
  c += albedo * L.sun * (0.25f * std::max(L.sun_dir.y, 0.0f));
  if (w.spec.time == TimeOfDay::night) {
    // Pools of light from street lamps every 25 m on both sidewalks.
    float zl = z - std::round(z / 25.0f) * 25.0f;
    float xl = std::fabs(x) - (kRoadHalf - 0.5f);
    float pool = std::exp(-(zl * zl + xl * xl) / 30.0f);
    c += albedo * srgb(1.0f, 0.75f, 0.45f) * (pool * 0.8f);
  }
  return c;
}

constexpr float kPoleX = kRoadHalf + 0.6f;
constexpr float kPoleSpacing = 25.0f;
constexpr float kPoleHeight = 7.0f;
constexpr float kPoleRadius = 0.09f;

// Street-lamp poles on both kerbs: vertical cylinders every kPoleSpacing metres.
// Returns the distance along `d` to the nearest pole, or -1.
float cast_pole(Vec3 o, Vec3 d, Vec3& normal) {
  float best = -1;
  float dl = std::sqrt(d.x * d.x + d.z * d.z);
  if (dl < 1e-6f || std::fabs(d.x) < 1e-6f) return best;
  float sign = d.x > 0 ? 1.0f : -1.0f;
  float tx = (sign * kPoleX - o.x) / d.x;  // where the ray crosses the pole line
  float zc = o.z + d.z * tx;
  float k0 = std::round(zc / kPoleSpacing);
  for (float k = k0 - 1; k <= k0 + 1; k += 1.0f) {
    if (k < 1) continue;
    float px = sign * kPoleX, pz = k * kPoleSpacing;
    // Closest approach of the ray's ground projection to the pole axis.
    float ux = d.x / dl, uz = d.z / dl;
    float rx = px - o.x, rz = pz - o.z;
    float along = rx * ux + rz * uz;
    float perp = rx * uz - rz * ux;
    if (std::fabs(perp) > kPoleRadius || along <= 0) continue;
    float back = std::sqrt(kPoleRadius * kPoleRadius - perp * perp);
    float t = (along - back) / dl;
    float y = o.y + d.y * t;
    if (y < 0 || y > kPoleHeight) continue;
    if (best < 0 || t < best) {
      best = t;
      Vec3 hp = o + d * t;
      normal = normalize({hp.x - px, 0, hp.z - pz});
    }
  }
  return best;
}

}  // namespace

void render_city(World& w, Frame& f) {
  w.cam.pos = {-2.0f, 1.7f, 0.0f};
  // Buildings hide half the sky from the street: less, and greyer, skylight.
  Vec3 sky = w.light.sky_ambient;
  w.light.sky_ambient = mix(sky, Vec3{1, 1, 1} * luminance(sky), 0.5f) * 0.8f;
  Street s;
  for (int side = 0; side < 2; ++side) {
    s.near[side] = make_lots(w.seed + 10 + side, false);
    s.back[side] = make_lots(w.seed + 20 + side, true);
  }
  const Camera& c = w.cam;
  reel::parallel_for(static_cast<std::size_t>(f.height), 4, [&](std::size_t b, std::size_t e) {
    for (std::size_t row = b; row < e; ++row) {
      for (int col = 0; col < f.width; ++col) {
        std::size_t i = f.index(col, static_cast<int>(row));
        Vec3 d = c.ray(col + 0.5f, row + 0.5f);
        Hit h = cast(s, c.pos, d);
        if (h.t < 0 || h.t > kFarPlane) {
          f.colour[i] = sky_radiance(w, d);
          continue;
        }
        Vec3 pn;
        float tp = cast_pole(c.pos, d, pn);
        if (tp > 0 && tp < h.t) {
          Vec3 hp = c.pos + d * tp;
          float ndl = std::max(dot(pn, w.light.sun_dir), 0.0f);
          bool shadowed = in_shadow(s, hp, w.light.sun_dir);
          Vec3 metal = srgb(0.22f, 0.23f, 0.24f);
          Vec3 col = metal * (w.light.sun * (shadowed ? 0.0f : ndl) + w.light.sky_ambient);
          // The lamp head, lit at night.
          if (hp.y > kPoleHeight - 0.5f && w.spec.time == TimeOfDay::night)
            col = srgb(1.0f, 0.85f, 0.6f) * 4.0f;
          f.colour[i] = col;
          f.depth[i] = tp;
          f.surface[i] = Surface::object;
          continue;
        }
        f.colour[i] = h.ground ? shade_ground(w, s, h, d, h.t) : shade_facade(w, s, h, d, h.t);
        f.depth[i] = h.t;
        f.surface[i] = h.ground ? Surface::ground : Surface::object;
      }
    }
  });
}

}  // namespace reel::studio::env
