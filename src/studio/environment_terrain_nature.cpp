// Earth heightfields: snowy mountains, a beach with the sea, and the forest floor
// (whose far distance is a canopy of tree crowns).
#include <algorithm>
#include <cmath>

#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"
#include "studio/environment_rocks.hpp"
#include "studio/environment_terrain.hpp"

namespace reel::studio::env {
namespace {

class MountainTerrain final : public Terrain {
 public:
  explicit MountainTerrain(const World& w) : seed_(w.seed), relief_(w.spec.relief) {
    boulders_ = {9.0f, std::min(0.18f * w.spec.rockiness, 0.8f), 0.4f, 1.4f, 0.7f, seed_ + 301};
    rocks_ = {2.5f, std::min(0.12f * w.spec.rockiness, 0.8f), 0.1f, 0.5f, 0.7f, seed_ + 302};
    boulders_.clear_radius = 14.0f;
    rocks_.clear_radius = 6.0f;
    sun_ = w.light.sun_dir;
  }

  float height(float x, float z, float fp) const override {
    float r = std::sqrt(x * x + z * z);
    float h = fbm(x / 140.0f, z / 140.0f, seed_, lod_octaves(140, fp, 5)) *
              (1.0f + 5.0f * smoothstep(10.0f, 250.0f, r));
    // Wind-shaped drifts on the near snowfield: relief for the low sun to catch.
    if (r < 300.0f)
      h += 0.35f * fbm(x / 9.0f, z / 5.0f, seed_ + 4, lod_octaves(5, fp, 5)) *
           (1.0f - smoothstep(60.0f, 300.0f, r));
    float ramp = smoothstep(1200.0f, 4200.0f, r);
    if (ramp > 0) {
      float massif = fbm(x / 7000.0f, z / 7000.0f, seed_ + 3, 2) * 0.5f + 0.5f;
      float m = ridged(x / 2600.0f, z / 2600.0f, seed_ + 2, lod_octaves(2600, fp, 8));
      h += ramp * m * m * 1250.0f * (0.35f + massif) * std::max(relief_, 0.6f);
    }
    if (r < 400.0f) h += rock_at(boulders_, x, z, fp).height + rock_at(rocks_, x, z, fp).height;
    return h;
  }

  GroundPoint surface(Vec3 p, Vec3 n, float fp) const override {
    GroundPoint g;
    float x = p.x, z = p.z;
    float v = fbm(x / 40.0f, z / 40.0f, seed_ + 10, lod_octaves(40, fp, 4));
    Vec3 rock = mix(srgb(0.34f, 0.32f, 0.31f), srgb(0.22f, 0.20f, 0.20f), v * 0.5f + 0.5f);
    // Snow holds on gentle slopes, everywhere up high and on the near snowfield.
    float snowline = 380.0f + 180.0f * fbm(x / 900.0f, z / 900.0f, seed_ + 11, 3);
    float alt = (p.y - snowline) / 600.0f;
    float flat = n.y + 0.25f * fbm(x / 8.0f, z / 8.0f, seed_ + 12, lod_octaves(8, fp, 4));
    float snow = smoothstep(0.62f, 0.78f, flat + std::clamp(alt, -0.4f, 0.3f));
    float r = std::sqrt(x * x + z * z);
    // The foothills before the range lie under a continuous snowfield.
    snow = std::max(snow, 0.9f * (1.0f - smoothstep(900.0f, 2600.0f, r)));
    if (r < 400.0f) {
      float cover =
          std::max(rock_at(boulders_, x, z, fp).coverage, rock_at(rocks_, x, z, fp).coverage);
      snow = std::max(snow * (1.0f - cover), cover * 0.6f * smoothstep(0.9f, 0.98f, n.y));
      if (cover <= 0) snow = std::max(snow, 0.9f);
    }
    Vec3 snow_c = srgb(0.84f, 0.87f, 0.92f);
    // Wind-packed drifts: soft large-scale variation, finer grain up close.
    snow_c = snow_c * (1.0f + 0.06f * fbm(x / 6.0f, z / 6.0f, seed_ + 14, lod_octaves(6, fp, 4)));
    if (fp < 0.05f) snow_c = snow_c * (1.0f + 0.05f * noise2(x * 9.0f, z * 9.0f, seed_ + 13));
    g.albedo = mix(rock, snow_c, snow);
    if (r < 400.0f)
      g.shadow = 1.0f - 0.85f * std::max(rock_shadow(boulders_, x, z, sun_),
                                         rock_shadow(rocks_, x, z, sun_));
    return g;
  }

 private:
  std::uint32_t seed_;
  float relief_;
  RockField boulders_, rocks_;
  Vec3 sun_;
};

class BeachTerrain final : public Terrain {
 public:
  explicit BeachTerrain(const World& w) : seed_(w.seed), night_(w.spec.time == TimeOfDay::night) {
    stones_ = {3.0f, 0.06f * w.spec.rockiness, 0.05f, 0.25f, 0.5f, seed_ + 401};
  }

  float shore(float x) const { return 16.0f + 6.0f * fbm(x / 70.0f, 0.5f, seed_ + 1, 3); }

  // Land height: a beach sloping into the sea; negative under water.
  float ground(float x, float z, float fp) const {
    float g = 0.045f * (shore(x) - z);
    if (g > -0.5f)
      g += 0.25f * fbm(x / 9.0f, z / 9.0f, seed_ + 2, lod_octaves(9, fp, 4)) *
           smoothstep(-0.2f, 0.6f, g);
    return std::max(g, -12.0f);
  }

  float height(float x, float z, float fp) const override {
    float g = ground(x, z, fp);
    if (g <= 0.0f) return 0.0f;
    return g + rock_at(stones_, x, z, fp).height;
  }

  // Wave height field: long swells towards the shore plus wind ripples.
  float waves(float x, float z, float fp) const {
    float h = 0.10f * std::sin(z * 0.55f + 0.6f * fbm(x / 30.0f, z / 30.0f, seed_ + 5, 2) * 3.0f);
    h += 0.05f * std::sin(z * 1.3f + x * 0.4f);
    h += 0.06f * fbm(x / 4.0f, z / 2.5f, seed_ + 6, lod_octaves(2.5f, fp, 5));
    return h;
  }

  GroundPoint surface(Vec3 p, Vec3 n, float fp) const override {
    GroundPoint g;
    float x = p.x, z = p.z;
    float gr = ground(x, z, fp);
    if (gr <= 0.0f) {
      float depth = -gr;
      float e = std::max(fp, 0.02f);
      float h0 = waves(x, z, fp);
      float hx = waves(x + e, z, fp), hz = waves(x, z + e, fp);
      // Far water flattens towards a mirror of the horizon sky.
      float amp = 1.0f / (1.0f + z / 400.0f);
      g.normal = normalize({(h0 - hx) / e * amp, 1.0f, (h0 - hz) / e * amp});
      g.has_normal = true;
      g.albedo = mix(srgb(0.25f, 0.72f, 0.70f) * 0.7f, srgb(0.03f, 0.20f, 0.36f) * 0.6f,
                     smoothstep(0.0f, 3.0f, depth));
      if (night_) g.albedo = g.albedo * 0.5f;
      g.specular = 1.0f;
      g.shininess = 400.0f;
      g.kind = Surface::water;
      g.snow_free = true;
      // Foam where waves break near the shore, and thin lines of spent surf.
      float d_shore = shore(x) - z;  // negative in the sea
      float n1 = fbm(x / 3.0f, z / 2.0f, seed_ + 7, lod_octaves(2, fp, 4)) * 0.5f + 0.5f;
      float surf = smoothstep(-2.5f, -0.2f, d_shore) * smoothstep(0.35f, 0.65f, n1);
      float crest = std::sin((-d_shore) * 0.9f + n1 * 2.0f);
      float lines = smoothstep(0.93f, 0.99f, crest) * smoothstep(-25.0f, -4.0f, d_shore) * n1;
      float foam = std::clamp(surf + lines * 0.8f, 0.0f, 1.0f) * smoothstep(0.4f, 0.05f, fp);
      if (foam > 0) {
        g.albedo = mix(g.albedo, srgb(0.92f, 0.94f, 0.95f), foam);
        g.specular *= 1.0f - foam;
      }
      return g;
    }
    float v = fbm(x / 6.0f, z / 6.0f, seed_ + 8, lod_octaves(6, fp, 4));
    Vec3 sand = mix(srgb(0.74f, 0.62f, 0.45f), srgb(0.64f, 0.52f, 0.37f), v * 0.5f + 0.5f);
    if (fp < 0.05f) {
      // Wind ripples and grain.
      float rip = std::sin(z * 7.0f + x * 1.5f + 4.0f * noise2(x / 2.0f, z / 2.0f, seed_ + 15));
      sand = sand * (1.0f + 0.07f * rip * smoothstep(0.05f, 0.01f, fp) +
                     0.12f * noise2(x * 12.0f, z * 12.0f, seed_ + 9));
    }
    float wet = smoothstep(0.35f, 0.05f, gr);
    g.albedo = mix(sand, srgb(0.60f, 0.50f, 0.37f), wet);
    g.specular = 0.3f * wet;
    g.shininess = 80.0f;
    float cover = rock_at(stones_, x, z, fp).coverage;
    if (cover > 0) g.albedo = mix(g.albedo, srgb(0.45f, 0.42f, 0.4f), cover);
    return g;
  }

 private:
  std::uint32_t seed_;
  bool night_;
  RockField stones_;
};

class ForestTerrain final : public Terrain {
 public:
  explicit ForestTerrain(const World& w) : seed_(w.seed), sun_(w.light.sun_dir) {
    rocks_ = {6.0f, 0.08f * w.spec.rockiness, 0.2f, 0.8f, 0.6f, seed_ + 501};
  }

  float height(float x, float z, float fp) const override {
    float r = std::sqrt(x * x + z * z);
    float h = fbm(x / 60.0f, z / 60.0f, seed_, lod_octaves(60, fp, 5)) *
              (0.8f + 4.0f * smoothstep(10.0f, 150.0f, r));
    float far = smoothstep(900.0f, 2500.0f, r);
    if (far > 0)
      h += far * 220.0f *
           (fbm(x / 1800.0f, z / 1800.0f, seed_ + 1, lod_octaves(1800, fp, 5)) * 0.5f + 0.5f);
    // Beyond the modelled trees the forest is a canopy: crowns as bumps.
    float canopy = smoothstep(150.0f, 260.0f, r);
    if (canopy > 0)
      h += canopy * (14.0f + 6.0f * (1.0f - worley2(x / 7.0f, z / 7.0f, seed_ + 2)) +
                     3.0f * fbm(x / 25.0f, z / 25.0f, seed_ + 3, lod_octaves(25, fp, 3)));
    if (r > 2.0f && r < 150.0f) h += rock_at(rocks_, x, z, fp).height;
    return h;
  }

  float far_limit() const override { return 5000.0f; }

  GroundPoint surface(Vec3 p, Vec3 n, float fp) const override {
    GroundPoint g;
    float x = p.x, z = p.z;
    float r = std::sqrt(x * x + z * z);
    float v = fbm(x / 5.0f, z / 5.0f, seed_ + 10, lod_octaves(5, fp, 4));
    Vec3 grass = mix(srgb(0.26f, 0.34f, 0.14f), srgb(0.18f, 0.25f, 0.10f), v * 0.5f + 0.5f);
    Vec3 litter = srgb(0.36f, 0.28f, 0.17f);
    float l = smoothstep(0.0f, 0.4f, fbm(x / 3.0f, z / 3.0f, seed_ + 11, lod_octaves(3, fp, 4)));
    Vec3 c = mix(grass, litter, l * 0.7f);
    if (fp < 0.05f) c = c * (1.0f + 0.25f * noise2(x * 10.0f, z * 10.0f, seed_ + 12));
    float canopy = smoothstep(150.0f, 260.0f, r);
    if (canopy > 0) {
      float t = fbm(x / 20.0f, z / 20.0f, seed_ + 13, 3);
      Vec3 crowns = mix(srgb(0.13f, 0.25f, 0.09f), srgb(0.20f, 0.33f, 0.12f), t * 0.5f + 0.5f);
      c = mix(c, crowns, canopy);
    }
    float cover = r < 150.0f ? rock_at(rocks_, x, z, fp).coverage : 0.0f;
    if (cover > 0) {
      Vec3 moss =
          mix(srgb(0.38f, 0.38f, 0.35f), srgb(0.25f, 0.36f, 0.12f), smoothstep(0.6f, 0.95f, n.y));
      c = mix(c, moss, cover);
    }
    g.albedo = c;
    // Dappled light through the canopy on the forest floor.
    if (canopy < 1) {
      float d = fbm(x / 4.0f + sun_.x * 3.0f, z / 4.0f, seed_ + 14, 3);
      float lit = smoothstep(0.05f, 0.25f, d);
      g.shadow = mix(Vec3{lit, 0, 0}, Vec3{1, 0, 0}, canopy).x * 0.85f + 0.15f * (1.0f - canopy);
      g.shadow *= 1.0f - 0.85f * rock_shadow(rocks_, x, z, sun_);
    }
    return g;
  }

 private:
  std::uint32_t seed_;
  Vec3 sun_;
  RockField rocks_;
};

}  // namespace

std::unique_ptr<Terrain> make_mountain_terrain(const World& w) {
  return std::make_unique<MountainTerrain>(w);
}
std::unique_ptr<Terrain> make_beach_terrain(const World& w) {
  return std::make_unique<BeachTerrain>(w);
}
std::unique_ptr<Terrain> make_forest_terrain(const World& w) {
  return std::make_unique<ForestTerrain>(w);
}

}  // namespace reel::studio::env
