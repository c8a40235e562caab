// Mars and Earth desert: rolling dusty plains (or dunes) with scattered dark rocks
// and distant mesas.
#include <algorithm>
#include <cmath>

#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"
#include "studio/environment_rocks.hpp"
#include "studio/environment_terrain.hpp"

namespace reel::studio::env {
namespace {

class MarsTerrain final : public Terrain {
 public:
  MarsTerrain(const World& w, bool desert) : desert_(desert), seed_(w.seed) {
    float rock = w.spec.rockiness * (desert ? 0.35f : 1.0f);
    relief_ = w.spec.relief;
    boulders_ = {11.0f, std::min(0.2f * rock, 0.8f), 0.7f, 2.6f, 0.75f, seed_ + 101};
    rocks_ = {2.8f, std::min(0.3f * rock, 0.85f), 0.12f, 0.7f, 0.8f, seed_ + 102};
    stones_ = {0.55f, std::min(0.4f * rock, 0.9f), 0.03f, 0.13f, 0.7f, seed_ + 103};
    sun_ = w.light.sun_dir;
  }

  float base(float x, float z, float fp) const {
    float r = std::sqrt(x * x + z * z);
    float near_ramp = smoothstep(20.0f, 400.0f, r);
    float h;
    if (desert_) {
      // Dunes: ridged crests perpendicular to a prevailing wind, warped by noise.
      float warp = fbm(x / 180.0f, z / 180.0f, seed_ + 4, lod_octaves(180, fp, 3)) * 40.0f;
      float crest =
          1.0f - std::fabs(noise2((x + warp) / 90.0f, (z + warp * 0.5f) / 55.0f, seed_ + 5));
      float dune_ramp = smoothstep(8.0f, 220.0f, r);
      h = std::pow(crest, 1.8f) * (1.5f + 16.0f * dune_ramp) +
          fbm(x / 400.0f, z / 400.0f, seed_, lod_octaves(400, fp, 4)) * 6.0f * near_ramp;
      if (fp < 0.05f)  // wind ripples near the camera
        h += 0.015f * std::sin((z + 0.3f * x) * 9.0f + noise2(x, z, seed_ + 6) * 3.0f);
    } else {
      h = fbm(x / 300.0f, z / 300.0f, seed_, lod_octaves(300, fp, 3)) * (1.0f + 6.0f * near_ramp) +
          fbm(x / 35.0f, z / 35.0f, seed_ + 1, lod_octaves(35, fp, 5)) * 0.5f;
    }
    h *= relief_;
    float far_ramp = smoothstep(2200.0f, 5000.0f, r);
    if (far_ramp > 0) {
      // Distant mesas: ridged noise with flattened tops.
      float m = ridged(x / 2600.0f, z / 2600.0f, seed_ + 2, lod_octaves(2600, fp, 7));
      float mesa = std::min(m * m * 1.6f, 0.75f);
      h += far_ramp * mesa * (desert_ ? 180.0f : 300.0f) * std::max(relief_, 0.6f);
    }
    return h;
  }

  float height(float x, float z, float fp) const override {
    float h = base(x, z, fp);
    float r2 = x * x + z * z;
    if (r2 < 6.0f) return h;  // keep the camera's own spot clear
    h += rock_at(boulders_, x, z, fp).height + rock_at(rocks_, x, z, fp).height;
    if (fp < 0.03f) h += rock_at(stones_, x, z, fp).height;
    return h;
  }

  GroundPoint surface(Vec3 p, Vec3 n, float fp) const override {
    GroundPoint g;
    float x = p.x, z = p.z;
    float n1 = fbm(x / 18.0f, z / 18.0f, seed_ + 10, lod_octaves(18, fp, 3));
    float n2 = fbm(x / 2.5f, z / 2.5f, seed_ + 11, lod_octaves(2.5f, fp, 3));
    Vec3 c;
    if (desert_) {
      c = mix(srgb(0.70f, 0.53f, 0.35f), srgb(0.78f, 0.62f, 0.44f), smoothstep(-0.3f, 0.5f, n1));
      c = mix(c, srgb(0.70f, 0.52f, 0.34f), smoothstep(0.1f, 0.6f, n2) * 0.4f);
    } else {
      c = mix(srgb(0.54f, 0.26f, 0.14f), srgb(0.68f, 0.42f, 0.26f), smoothstep(-0.4f, 0.6f, n1));
      c = mix(c, srgb(0.36f, 0.17f, 0.10f), smoothstep(0.0f, 0.6f, n2) * 0.6f);
    }
    if (fp < 0.05f) {
      float grain = fbm(x * 7.0f, z * 7.0f, seed_ + 12, lod_octaves(1.0f / 7, fp, 3));
      c = c * (1.0f + 0.2f * grain);
    }
    float r2 = x * x + z * z;
    float cover = 0;
    if (r2 >= 6.0f) {
      cover = std::max(rock_at(boulders_, x, z, fp).coverage, rock_at(rocks_, x, z, fp).coverage);
      if (fp < 0.03f) cover = std::max(cover, rock_at(stones_, x, z, fp).coverage);
    }
    if (cover > 0) {
      float v = noise2(x * 3.0f, z * 3.0f, seed_ + 13);
      Vec3 rock = desert_
                      ? mix(srgb(0.45f, 0.36f, 0.28f), srgb(0.32f, 0.25f, 0.2f), v * 0.5f + 0.5f)
                      : mix(srgb(0.30f, 0.18f, 0.13f), srgb(0.19f, 0.12f, 0.10f), v * 0.5f + 0.5f);
      // Dust settles on the rocks' upward faces.
      rock = mix(rock, c, smoothstep(0.75f, 0.97f, n.y) * 0.55f);
      c = mix(c, rock, cover);
    }
    // Cast shadows of rocks smaller than a pixel would only add noise.
    float sh = fp < 0.5f
                   ? std::max(rock_shadow(boulders_, x, z, sun_), rock_shadow(rocks_, x, z, sun_))
                   : (fp < 2.0f ? rock_shadow(boulders_, x, z, sun_) : 0.0f);
    g.shadow = 1.0f - 0.88f * sh;
    g.albedo = c;
    return g;
  }

  float far_limit() const override { return 8000.0f; }

 private:
  bool desert_;
  std::uint32_t seed_;
  float relief_ = 1;
  RockField boulders_, rocks_, stones_;
  Vec3 sun_;
};

}  // namespace

std::unique_ptr<Terrain> make_mars_terrain(const World& w, bool earth_desert) {
  return std::make_unique<MarsTerrain>(w, earth_desert);
}

}  // namespace reel::studio::env
