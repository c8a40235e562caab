// Trees for the forest scene: conifers and broadleaves placed on a jittered grid,
// drawn as depth-tested sprites over the forest floor with pseudo-3D shading
// (a cylinder for trunks, a lumpy ellipsoid or tiered cone for crowns).
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

struct Tree {
  float x, z, ground;
  float height, trunk, crown;
  bool conifer;
  Vec3 leaf;
  std::uint32_t seed;
  // screen placement
  float sx, base_y, scale;  // pixels per metre
  int x0, x1, y0, y1;
  float dist;
};

std::vector<Tree> place_trees(const World& w, const Terrain& t) {
  const Camera& c = w.cam;
  std::vector<Tree> trees;
  const float cell = 4.5f;
  const float half_tan = (c.width * 0.5f + 40.0f) / c.focal;
  for (int iz = 0; iz * cell < 170.0f; ++iz) {
    float zc = iz * cell;
    int nx = static_cast<int>(std::ceil((zc + cell) * half_tan / cell)) + 1;
    for (int ix = -nx; ix <= nx; ++ix) {
      auto h = hash64(static_cast<std::uint64_t>(ix), static_cast<std::uint64_t>(iz), w.seed + 600);
      auto u = [&](int s) { return static_cast<float>((h >> s) & 0xFFF) / 4096.0f; };
      if (u(0) > 0.62f) continue;
      Tree tr{};
      tr.x = (ix + 0.1f + 0.8f * u(12)) * cell;
      tr.z = (iz + 0.1f + 0.8f * u(24)) * cell;
      // A small clearing in front of the camera, so the view is not a wall of bark.
      if (tr.z < 3.0f || (tr.z < 14.0f && std::fabs(tr.x) < 3.5f)) continue;
      tr.conifer = u(36) < 0.55f;
      tr.height = 11.0f + 13.0f * u(48);
      tr.trunk = 0.16f + 0.22f * u(52);
      tr.crown = tr.conifer ? 1.8f + 1.4f * u(40) : 2.6f + 2.2f * u(40);
      float hue = u(44);
      tr.leaf = tr.conifer ? mix(srgb(0.10f, 0.24f, 0.12f), srgb(0.16f, 0.30f, 0.14f), hue)
                           : mix(srgb(0.22f, 0.40f, 0.12f), srgb(0.34f, 0.46f, 0.14f), hue);
      tr.seed = static_cast<std::uint32_t>(h >> 20);
      tr.ground = t.height(tr.x, tr.z, 0.05f) - 0.2f;
      tr.scale = c.focal / tr.z;
      tr.sx = c.cx + tr.x * tr.scale;
      tr.base_y = c.horizon_y - (tr.ground - c.pos.y) * tr.scale;
      float half = (tr.crown * 1.3f + 0.5f) * tr.scale;
      tr.x0 = static_cast<int>(std::floor(tr.sx - half));
      tr.x1 = static_cast<int>(std::ceil(tr.sx + half));
      tr.y1 = static_cast<int>(std::ceil(tr.base_y + 1));
      tr.y0 = static_cast<int>(std::floor(tr.base_y - (tr.height + 1.0f) * tr.scale));
      if (tr.x1 < 0 || tr.x0 >= c.width || tr.y1 < 0 || tr.y0 >= c.height) continue;
      tr.dist = std::sqrt(tr.x * tr.x + tr.z * tr.z);
      trees.push_back(tr);
    }
  }
  // Nearest first: farther trees are then mostly rejected by the depth test
  // before their shape is evaluated.
  std::sort(trees.begin(), trees.end(),
            [](const Tree& a, const Tree& b) { return a.dist < b.dist; });
  return trees;
}

// Crown membership and normal (world, facing the camera at -z) at local metres.
bool crown_at(const Tree& t, float lx, float ly, float px_per_m, Vec3& n, float& shade) {
  float lod = px_per_m > 3.0f ? 1.0f : 0.0f;
  if (t.conifer) {
    float y0 = t.height * 0.22f;
    if (ly < y0 || ly > t.height) return false;
    float s = (ly - y0) / (t.height - y0);
    float tiers = 6.0f + static_cast<float>(t.seed % 4);
    // Branch tips droop: a tier's edge lies lower the further out it reaches.
    float ts = s * tiers + 0.6f * std::fabs(lx) / t.crown;
    float tier = ts - std::floor(ts);
    float width = t.crown * (1.0f - s) * (0.62f + 0.38f * tier);
    width *= 1.0f + lod * (0.3f * noise2(lx * 2.2f, ly * 2.2f, t.seed) +
                           0.15f * noise2(lx * 7.0f, ly * 7.0f, t.seed + 5));
    if (std::fabs(lx) > width + 0.05f) return false;
    float nx = std::clamp(lx / std::max(width, 0.05f), -1.0f, 1.0f);
    float ny = 0.35f + 0.4f * (1.0f - tier);  // branch tiers face up at their tips
    n = normalize({nx, ny, -std::sqrt(std::max(0.0f, 1.0f - nx * nx))});
    shade = 0.55f + 0.45f * tier;
    return true;
  }
  float cy = t.height * 0.62f, ry = t.height * 0.36f;
  float best = 2.0f;
  float bx = 0, by = 0;
  // Crown as four overlapping blobs.
  for (int i = 0; i < 4; ++i) {
    auto h = hash64(t.seed, i);
    float ox = ((h & 0xFF) / 255.0f - 0.5f) * t.crown * 0.9f;
    float oy = (((h >> 8) & 0xFF) / 255.0f - 0.5f) * ry * 0.8f;
    float rr = t.crown * (0.55f + 0.3f * ((h >> 16) & 0xFF) / 255.0f);
    float dx = (lx - ox) / rr, dy = (ly - cy - oy) / (rr * 1.1f);
    float d = dx * dx + dy * dy;
    if (d < best) {
      best = d;
      bx = dx;
      by = dy;
    }
  }
  float edge = lod * 0.35f * fbm(lx * 1.3f, ly * 1.3f, t.seed, 3);
  if (best + edge > 1.0f) return false;
  float nz = std::sqrt(std::max(0.0f, 1.0f - bx * bx - by * by));
  n = normalize({bx, by + 0.2f, -nz});
  float clump = lod > 0 ? fbm(lx * 1.6f, ly * 1.6f, t.seed + 1, 3) : 0.0f;
  shade = std::clamp(0.65f + 0.55f * clump + 0.2f * by, 0.25f, 1.2f);
  return true;
}

}  // namespace

void render_trees(const World& w, const Terrain& terrain, Frame& f) {
  const Camera& c = w.cam;
  const Lighting& l = w.light;
  std::vector<Tree> trees = place_trees(w, terrain);
  reel::parallel_for(static_cast<std::size_t>(f.height), 4, [&](std::size_t b, std::size_t e) {
    for (std::size_t row = b; row < e; ++row) {
      int y = static_cast<int>(row);
      float py = y + 0.5f;
      for (const Tree& t : trees) {
        if (y < t.y0 || y > t.y1) continue;
        float ly = (t.base_y - py) / t.scale;
        float wy = t.ground + ly;
        float dz = wy - c.pos.y;
        float depth = std::sqrt(t.dist * t.dist + dz * dz);
        for (int x = std::max(t.x0, 0); x <= std::min(t.x1, c.width - 1); ++x) {
          std::size_t i = f.index(x, y);
          if (f.depth[i] <= depth - t.crown) continue;
          float lx = (x + 0.5f - t.sx) / t.scale;
          Vec3 n;
          float shade = 1.0f;
          Vec3 albedo;
          float d = depth;
          bool hit = false;
          if (crown_at(t, lx, ly, t.scale, n, shade)) {
            albedo = t.leaf * shade;
            d = depth - t.crown * 0.5f * std::fabs(n.z);
            hit = true;
          } else {
            float tw =
                t.trunk * (1.0f + 0.9f * std::exp(-ly * 2.5f)) * (1.0f - 0.5f * ly / t.height);
            if (ly >= -0.2f && ly < t.height * 0.85f && std::fabs(lx) < tw) {
              float nx = lx / tw;
              n = {nx, 0.0f, -std::sqrt(std::max(0.0f, 1.0f - nx * nx))};
              float bark = t.scale > 20.0f ? noise2(lx * 25.0f, ly * 1.5f, t.seed + 2) : 0.0f;
              albedo = srgb(0.29f, 0.25f, 0.21f) * (0.8f + 0.35f * bark);
              // Trunks stand in their own crowns' shade.
              shade = 0.45f;
              hit = true;
            }
          }
          if (!hit || f.depth[i] <= d) continue;
          float ndl = std::max(dot(n, l.sun_dir), 0.0f);
          Vec3 col = albedo * (l.sun * (ndl * shade) + l.sky_ambient * (0.45f + 0.35f * n.y) +
                               l.ground_ambient * 0.3f);
          // Leaves let light through when the sun is behind them.
          if (shade != 0.45f)
            col += t.leaf * l.sun * (0.12f * std::max(dot(l.sun_dir, Vec3{0, 0, 1}), 0.0f));
          f.colour[i] = col;
          f.depth[i] = d;
          f.surface[i] = Surface::object;
        }
      }
    }
  });
}

}  // namespace reel::studio::env
