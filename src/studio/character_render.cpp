// Renders a posed character by sphere tracing its signed-distance primitives with
// an orthographic camera looking down -z. Work stays inside the character's
// screen box, split into tiles that each keep only the primitives whose screen
// bounds touch them; each ray then keeps only the primitives it passes near.
// Pixels are sampled coarse to fine (smooth areas are interpolated), silhouette
// alpha comes from how close missing rays pass, and pixels on material or
// overlap edges are re-sampled for antialiasing.
#include "character_render.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "character_body.hpp"
#include "character_proxy.hpp"
#include "character_sdf.hpp"
#include "character_shade.hpp"
#include "reel/core/error.hpp"
#include "reel/core/thread_pool.hpp"
#include "reel/studio/character.hpp"

namespace reel::studio::character {
namespace {

// Depth is reported as distance from a camera this many character heights in
// front of the character's root (orthographic, so only differences matter).
constexpr float kCameraDistance = 4.0f;
constexpr int kTile = 16;
constexpr int kMaxRayPrims = 48;
constexpr float kAoReach = 0.056f;  // character heights

struct Sample {
  bool hit = false;
  int prim = -1;
  float z = 0;
  Vec3 colour;           // linear
  float miss_px = 1e9f;  // for misses: closest approach to the surface, pixels
  float detail_px = 0;   // for hits: distance to the nearest painted feature, pixels
};

struct TileLists {
  std::vector<int> tight;   // primary rays and normals
  std::vector<int> wide;    // ambient occlusion reaches a little further
  std::vector<int> shadow;  // everything between the tile and the key light
};

class Tracer {
 public:
  // `ext` holds each primitive's screen extent (pixels) for the frame whose feet
  // sit at pixel (ox, oy).
  Tracer(const Recipe& r, const Body& body, const LightRig& lights, float scale,
         const std::vector<ScreenBox>& ext, float ox, float oy)
      : r_(r), body_(body), lights_(lights), scale_(scale), px_(1.0f / scale) {
    // Primitive j can change the surface only through its own smooth union or
    // a later one (the union runs in list order), so a ray must consider j when
    // it passes within the largest blend radius from j onwards.
    grow_.assign(body.prims.size(), 0.0f);
    float suffix = 0;
    for (std::size_t i = body.prims.size(); i-- > 0;) {
      suffix = std::max(suffix, body.prims[i].blend);
      grow_[i] = suffix + 2 * px_;
    }
    // The same extents in character space, grown like the proxies: a cheap
    // rejection before the exact span test.
    reach_.resize(ext.size());
    for (std::size_t i = 0; i < ext.size(); ++i) {
      float g = grow_[i];
      reach_[i] = {(ext[i].x0 - ox) / scale - g, (oy - ext[i].y1) / scale - g,
                   (ext[i].x1 - ox) / scale + g, (oy - ext[i].y0) / scale + g};
    }
  }

  // With `shaded` false only hit, primitive and depth are found (edge coverage).
  Sample trace(float X, float Y, const TileLists& tl, bool shaded = true) const {
    Sample s;
    const auto& tile = tl.tight;
    if (tile.empty()) return s;
    const Primitive* prims = body_.prims.data();
    // 1. Keep the primitives this ray passes near; march between their spans.
    int cand[kMaxRayPrims];
    int n = 0;
    float z_start = -1e9f, z_end = 1e9f, z_core = -1e9f, max_blend = 0;
    for (int i : tile) {
      const ScreenBox& r = reach_[i];
      if (X < r.x0 || X > r.x1 || Y < r.y0 || Y > r.y1) continue;
      float zi, zo;
      if (!proxy_span(prims[i], X, Y, grow_[i], &zi, &zo)) continue;
      if (n == kMaxRayPrims) break;
      cand[n++] = i;
      z_start = std::max(z_start, zi);
      z_end = std::min(z_end, zo);
      max_blend = std::max(max_blend, prims[i].blend);
      if (proxy_span(prims[i], X, Y, 0, &zi, &zo)) z_core = std::max(z_core, zi);
    }
    if (n == 0) return s;
    // Smooth unions bulge at most a quarter of their radius past the shapes.
    float bulge = max_blend * 0.25f + 2 * px_;
    float z = std::min(z_start, z_core > -1e8f ? z_core + bulge : z_start);
    float eps = 0.3f * px_;
    int who = -1;
    float closest = 1e9f;
    // Over-relaxed sphere tracing (Keinert et al. 2014): step 1.5x the distance
    // while successive unbounding spheres overlap; on the first gap, go back and
    // continue with plain steps.
    bool relaxed = true;
    float z_prev = z, d_prev = 0, last_step = 0;
    for (int step = 0; step < 80 && z > z_end - px_; ++step) {
      float d = scene_distance(prims, cand, n, {X, Y, z}, &who);
      if (relaxed && last_step > d_prev + d) {
        relaxed = false;
        z = z_prev, d = d_prev;
      } else {
        if (d < eps) {
          s.hit = true;
          break;
        }
        closest = std::min(closest, d);
      }
      z_prev = z, d_prev = d;
      last_step = relaxed ? 1.5f * d : std::max(d, 0.3f * eps);
      z -= last_step;
    }
    if (!s.hit) {
      s.miss_px = closest * scale_;
      return s;
    }
    Vec3 p{X, Y, z};
    s.prim = who;
    s.z = z;
    if (!shaded) return s;
    Vec3 nrm = normal(p, cand, n);
    // 2. Occlusion only looks at primitives near the segment it samples.
    int near[kMaxRayPrims];
    int nn = 0;
    for (int i : tl.wide) {
      const Primitive& q = prims[i];
      // A primitive darkens a sample at height h only from closer than h, so it
      // must come within kAoReach of the sampled segment along the normal.
      float t = std::clamp(dot(q.bound_centre - p, nrm), 0.0f, kAoReach);
      if (length(q.bound_centre - (p + nrm * t)) - q.bound < kAoReach && nn < kMaxRayPrims)
        near[nn++] = i;
    }
    float ao = occlusion(p, nrm, near, nn);
    float sh = r_.photoreal ? soft_shadow(p + nrm * (2 * px_), tl.shadow) : 1.0f;
    if (!r_.photoreal) {
      // Without shadow rays, darken occluded surfaces a little more so form
      // still reads.
      sh = 0.75f + 0.25f * ao;
    }
    float detail = 0;
    s.colour = shade(r_, prims[who], p, nrm, ao, sh, lights_, &detail);
    s.detail_px = std::min(detail * scale_, 1e6f);
    return s;
  }

 private:
  Vec3 normal(Vec3 p, const int* cand, int n) const {
    const float h = 0.5f * px_ + 0.0005f;
    const Primitive* prims = body_.prims.data();
    auto f = [&](Vec3 q) { return scene_distance(prims, cand, n, q, nullptr); };
    Vec3 k0{1, -1, -1}, k1{-1, -1, 1}, k2{-1, 1, -1}, k3{1, 1, 1};
    Vec3 g = k0 * f(p + k0 * h) + k1 * f(p + k1 * h) + k2 * f(p + k2 * h) + k3 * f(p + k3 * h);
    return normalize(g);
  }

  float occlusion(Vec3 p, Vec3 n, const int* cand, int count) const {
    const Primitive* prims = body_.prims.data();
    int samples = r_.photoreal ? 6 : 3;
    float occ = 0, w = 1;
    for (int i = 1; i <= samples; ++i) {
      float h = 0.006f + (kAoReach - 0.006f) * static_cast<float>(i) / samples;
      float d = scene_distance<false>(prims, cand, count, p + n * h, nullptr);
      occ += (h - d) * w;
      w *= 0.7f;
    }
    return std::clamp(1.0f - 5.0f * occ, 0.15f, 1.0f);
  }

  float soft_shadow(Vec3 p, const std::vector<int>& cand) const {
    const Primitive* prims = body_.prims.data();
    int count = static_cast<int>(cand.size());
    float res = 1, t = 0.01f;
    for (int i = 0; i < 40 && t < 0.8f; ++i) {
      float d = scene_distance(prims, cand.data(), count, p + lights_.key_dir * t, nullptr);
      res = std::min(res, 10 * d / t);
      if (res < 0.02f) return 0.0f;
      t += std::clamp(d, 0.004f, 0.06f);
    }
    return std::clamp(res, 0.0f, 1.0f);
  }

  const Recipe& r_;
  const Body& body_;
  const LightRig& lights_;
  float scale_, px_;
  std::vector<float> grow_;
  std::vector<ScreenBox> reach_;  // character space: x0/y0 = min, x1/y1 = max
};

float to_srgb(float x) {
  // Soft shoulder above 0.8 so bright highlights do not clip flat.
  if (x > 0.8f) x = 0.8f + 0.2f * (1 - std::exp(-(x - 0.8f) / 0.2f));
  x = std::clamp(x, 0.0f, 1.0f);
  return x <= 0.0031308f ? 12.92f * x : 1.055f * std::pow(x, 1 / 2.4f) - 0.055f;
}

}  // namespace

CharacterLayer render_layer(const Recipe& recipe, const Pose& pose, const Placement& pl,
                            const model::Light& light) {
  if (pl.target_width < 1 || pl.target_height < 1 || pl.target_width > media::kMaxImageSide ||
      pl.target_height > media::kMaxImageSide)
    throw Error(ErrorKind::InvalidInput,
                "render_character: target size " + std::to_string(pl.target_width) + "x" +
                    std::to_string(pl.target_height) + " is out of range 1.." +
                    std::to_string(media::kMaxImageSide));
  if (!(pl.height > 0 && pl.height <= 4 * media::kMaxImageSide) || !std::isfinite(pl.foot_x) ||
      !std::isfinite(pl.foot_y))
    throw Error(ErrorKind::InvalidInput,
                "render_character: placement height must be > 0 and at most " +
                    std::to_string(4 * media::kMaxImageSide) +
                    " pixels and the foot position finite");
  const float pose_values[] = {
      pose.head_yaw,           pose.head_pitch,     pose.head_roll,       pose.torso_yaw,
      pose.torso_lean,         pose.arm_left_raise, pose.arm_right_raise, pose.forearm_left_bend,
      pose.forearm_right_bend, pose.walk_phase};
  for (float v : pose_values)
    if (!std::isfinite(v) || std::fabs(v) > 1e6f)
      throw Error(ErrorKind::InvalidInput,
                  "render_character: pose angles must be finite radians (|angle| <= 1e6)");
  // A hair of tolerance: callers compute these with trigonometry.
  constexpr float kSlack = 1e-3f;
  if (!(pose.breath >= -kSlack && pose.breath <= 1 + kSlack) ||
      !(pose.walk_amount >= -kSlack && pose.walk_amount <= 1 + kSlack) ||
      !(std::fabs(pose.bob) <= 1))
    throw Error(ErrorKind::InvalidInput,
                "render_character: pose breath and walk_amount must lie in 0..1 and bob in -1..1");
  Pose clean = pose;
  clean.breath = std::clamp(pose.breath, 0.0f, 1.0f);
  clean.walk_amount = std::clamp(pose.walk_amount, 0.0f, 1.0f);
  Body body = build_body(recipe, clean);
  const float scale = pl.height, ox = pl.foot_x, oy = pl.foot_y;
  LightRig lights = make_light_rig(light);

  std::vector<ScreenBox> ext(body.prims.size());
  float bx0 = 1e9f, by0 = 1e9f, bx1 = -1e9f, by1 = -1e9f;
  for (std::size_t i = 0; i < body.prims.size(); ++i) {
    ext[i] = screen_extent(body.prims[i], scale, ox, oy);
    bx0 = std::min(bx0, ext[i].x0), by0 = std::min(by0, ext[i].y0);
    bx1 = std::max(bx1, ext[i].x1), by1 = std::max(by1, ext[i].y1);
  }
  int x0 = std::clamp(static_cast<int>(std::floor(bx0)) - 1, 0, pl.target_width - 1);
  int y0 = std::clamp(static_cast<int>(std::floor(by0)) - 1, 0, pl.target_height - 1);
  int x1 = std::clamp(static_cast<int>(std::ceil(bx1)) + 1, x0 + 1, pl.target_width);
  int y1 = std::clamp(static_cast<int>(std::ceil(by1)) + 1, y0 + 1, pl.target_height);
  const int W = x1 - x0, H = y1 - y0;

  CharacterLayer out;
  out.offset_x = x0, out.offset_y = y0;
  out.rgba = media::Image(W, H, media::PixelType::f32);
  out.depth = media::Plane(W, H, std::numeric_limits<float>::infinity());

  // 1. Tile candidate lists.
  const int tiles_x = (W + kTile - 1) / kTile, tiles_y = (H + kTile - 1) / kTile;
  std::vector<TileLists> tiles(static_cast<std::size_t>(tiles_x) * tiles_y);
  const float ao_reach = 2.1f * kAoReach * scale;
  float max_blend = 0;
  for (const auto& p : body.prims) max_blend = std::max(max_blend, p.blend);
  const float blend_px = max_blend * scale + 2;
  Vec3 L = lights.key_dir;
  float lxy = std::sqrt(L.x * L.x + L.y * L.y);
  float sx = lxy > 1e-4f ? L.x / lxy : 0, sy = lxy > 1e-4f ? -L.y / lxy : 0;  // screen dir
  parallel_for(tiles.size(), 4, [&](std::size_t b, std::size_t e) {
    for (std::size_t t = b; t < e; ++t) {
      float tx0 = x0 + static_cast<float>(t % tiles_x) * kTile;
      float ty0 = y0 + static_cast<float>(t / tiles_x) * kTile;
      float tx1 = tx0 + kTile, ty1 = ty0 + kTile;
      float cx = (tx0 + tx1) / 2, cy = (ty0 + ty1) / 2, half = kTile * 0.7072f;
      TileLists& tl = tiles[t];
      for (std::size_t i = 0; i < ext.size(); ++i) {
        const ScreenBox& s = ext[i];
        // Smooth unions reach past a primitive's own extent: keep neighbours
        // within the largest blend radius, or the fillets change at tile edges.
        if (s.x1 >= tx0 - blend_px && s.x0 <= tx1 + blend_px && s.y1 >= ty0 - blend_px &&
            s.y0 <= ty1 + blend_px)
          tl.tight.push_back(static_cast<int>(i));
        if (s.x1 >= tx0 - ao_reach && s.x0 <= tx1 + ao_reach && s.y1 >= ty0 - ao_reach &&
            s.y0 <= ty1 + ao_reach)
          tl.wide.push_back(static_cast<int>(i));
        if (recipe.photoreal) {
          // The shadow ray's screen track is a half-line from the tile towards the
          // light; keep primitives whose extent comes near it.
          float pcx = (s.x0 + s.x1) / 2, pcy = (s.y0 + s.y1) / 2;
          float rad = 0.5f * std::hypot(s.x1 - s.x0, s.y1 - s.y0) + half;
          float along = std::max(0.0f, (pcx - cx) * sx + (pcy - cy) * sy);
          float qx = cx + sx * along, qy = cy + sy * along;
          if (std::hypot(pcx - qx, pcy - qy) <= rad) tl.shadow.push_back(static_cast<int>(i));
        }
      }
    }
  });

  Tracer tracer(recipe, body, lights, scale, ext, ox, oy);
  auto world_x = [&](float px) { return (px - ox) / scale; };
  auto world_y = [&](float py) { return (oy - py) / scale; };

  // 2. One sample per pixel centre, coarse to fine: a grid every `top` pixels is
  // traced, then each finer level interpolates a pixel from its traced or
  // interpolated neighbours one level up when they show the same material of
  // the same part at close depth and colour, far from painted detail (seams,
  // panel lines), and traces it otherwise. Eyes, lights and visors are always
  // traced: their highlights and pupils are smaller than the gaps.
  std::vector<Sample> centre(static_cast<std::size_t>(W) * H);
  auto trace_at = [&](int x, int y) {
    const TileLists& tl = tiles[static_cast<std::size_t>(y / kTile) * tiles_x + x / kTile];
    return tracer.trace(world_x(x0 + x + 0.5f), world_y(y0 + y + 0.5f), tl);
  };
  const int top = scale >= 1200 ? 8 : (scale >= 300 ? 4 : 2);
  parallel_for(static_cast<std::size_t>((H + top - 1) / top), 1, [&](std::size_t b, std::size_t e) {
    for (std::size_t yy = b; yy < e; ++yy) {
      int y = static_cast<int>(yy) * top;
      for (int x = 0; x < W; x += top) centre[static_cast<std::size_t>(y) * W + x] = trace_at(x, y);
    }
  });
  std::vector<unsigned char> plain(body.prims.size());
  for (std::size_t i = 0; i < body.prims.size(); ++i) {
    const Primitive& pr = body.prims[i];
    plain[i] = pr.material != Material::eye && pr.material != Material::glow &&
               pr.material != Material::visor;
  }
  for (int step = top / 2; step >= 1; step /= 2) {
    const float close_z = 2.0f * step / scale;
    // Smooth shading changes steadily with distance, so wider gaps may differ
    // more; sharp changes come from painted detail, which is never interpolated.
    const float close_colour = 0.05f + 0.03f * step;
    const int rows = (H + step - 1) / step;
    parallel_for(static_cast<std::size_t>(rows), 2, [&](std::size_t b, std::size_t e) {
      for (std::size_t ry = b; ry < e; ++ry) {
        int y = static_cast<int>(ry) * step;
        bool odd_y = (y / step) % 2 == 1;
        for (int x = 0; x < W; x += step) {
          bool odd_x = (x / step) % 2 == 1;
          if (!odd_x && !odd_y) continue;
          const Sample* nb[4];
          int count = 0;
          bool agree = true;
          for (int dy = odd_y ? -step : 0; dy <= (odd_y ? step : 0) && agree; dy += 2 * step)
            for (int dx = odd_x ? -step : 0; dx <= (odd_x ? step : 0); dx += 2 * step) {
              int sx = x + dx, sy = y + dy;
              if (sx >= W || sy >= H) {
                agree = false;
                break;
              }
              nb[count++] = &centre[static_cast<std::size_t>(sy) * W + sx];
            }
          if (agree && !nb[0]->hit) {
            // Far from the surface: the closest approach changes by at most one
            // pixel per pixel moved, so the in-between ray misses too.
            float closest = 1e9f;
            for (int k = 0; k < count; ++k)
              closest = nb[k]->hit ? -1.0f : std::min(closest, nb[k]->miss_px);
            if (closest - 1.5f * step > 1.5f) {
              Sample& miss = centre[static_cast<std::size_t>(y) * W + x];
              miss.miss_px = closest - 1.5f * step;
              continue;
            }
            agree = false;
          }
          for (int k = 0; k < count && agree; ++k) {
            const Sample& o = *nb[k];
            // Painted lines between the neighbours must be farther than the gap.
            agree = o.hit && plain[o.prim] && o.detail_px > 1.5f * step + 1 &&
                    body.prims[o.prim].material == body.prims[nb[0]->prim].material &&
                    body.prims[o.prim].part == body.prims[nb[0]->prim].part &&
                    std::fabs(o.z - nb[0]->z) < close_z &&
                    std::fabs(o.colour.x - nb[0]->colour.x) < close_colour &&
                    std::fabs(o.colour.y - nb[0]->colour.y) < close_colour &&
                    std::fabs(o.colour.z - nb[0]->colour.z) < close_colour;
          }
          Sample& out_s = centre[static_cast<std::size_t>(y) * W + x];
          if (!agree) {
            out_s = trace_at(x, y);
            continue;
          }
          out_s.hit = true;
          out_s.prim = nb[0]->prim;
          out_s.detail_px = 1e6f;
          for (int k = 0; k < count; ++k)
            out_s.detail_px = std::min(out_s.detail_px, nb[k]->detail_px - 1.5f * step);
          float inv = 1.0f / count;
          for (int k = 0; k < count; ++k) {
            out_s.z += nb[k]->z * inv;
            out_s.colour = out_s.colour + nb[k]->colour * inv;
          }
        }
      }
    });
  }

  // 3. Resolve: edge pixels get extra samples; alpha is the covered fraction.
  static const float kGrid4[4][2] = {
      {0.125f, 0.375f}, {-0.375f, 0.125f}, {-0.125f, -0.375f}, {0.375f, -0.125f}};
  static const float kGrid8[8][2] = {
      {0.0625f, -0.1875f}, {-0.0625f, 0.1875f},  {0.3125f, 0.0625f}, {-0.1875f, -0.3125f},
      {-0.3125f, 0.3125f}, {-0.4375f, -0.0625f}, {0.1875f, 0.4375f}, {0.4375f, -0.4375f}};
  const float depth_jump = 3.0f / scale;
  parallel_for(static_cast<std::size_t>(H), 8, [&](std::size_t b, std::size_t e) {
    for (std::size_t yy = b; yy < e; ++yy) {
      int y = static_cast<int>(yy);
      const TileLists* row_tiles = &tiles[static_cast<std::size_t>(y / kTile) * tiles_x];
      for (int x = 0; x < W; ++x) {
        const Sample& c = centre[yy * W + x];
        const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
        auto neighbour = [&](int k) -> const Sample* {
          if (nx[k] < 0 || ny[k] < 0 || nx[k] >= W || ny[k] >= H) return nullptr;
          return &centre[static_cast<std::size_t>(ny[k]) * W + nx[k]];
        };
        float* px = out.rgba.f32_pixel(x, y);
        if (!recipe.photoreal && !c.hit) {
          // Silhouette: coverage from how close the ray passed (the edge moves
          // out by half a pixel, evenly), colour and depth from the nearest
          // covered neighbour in front. Thin parts with no covered neighbour
          // fall through to supersampling.
          float a = std::clamp(1.0f - c.miss_px, 0.0f, 1.0f);
          if (a < 1.0f / 255) continue;
          const Sample* donor = nullptr;
          for (int k = 0; k < 4; ++k) {
            const Sample* o = neighbour(k);
            if (o && o->hit && (!donor || o->z > donor->z)) donor = o;
          }
          if (donor) {
            px[0] = to_srgb(donor->colour.x), px[1] = to_srgb(donor->colour.y);
            px[2] = to_srgb(donor->colour.z), px[3] = a;
            out.depth.at(x, y) = kCameraDistance - donor->z;
            continue;
          }
        }
        bool edge = false;
        for (int k = 0; k < 4 && !edge; ++k) {
          const Sample* o = neighbour(k);
          if (!o) {
            edge = c.hit && recipe.photoreal;
            continue;
          }
          if (!c.hit) {
            edge = o->hit || c.miss_px < 1;
          } else if (!o->hit) {
            edge = recipe.photoreal;
          } else {
            // A depth step inside one part is just a steep surface; between
            // parts it is an overlap (an arm over the torso) worth antialiasing.
            const Primitive& a = body.prims[o->prim];
            const Primitive& b = body.prims[c.prim];
            edge = a.material != b.material ||
                   (a.part != b.part && std::fabs(o->z - c.z) > depth_jump);
          }
        }
        if (!c.hit && c.miss_px < 1) edge = true;
        Vec3 sum = c.hit ? c.colour : Vec3{};
        float cover = c.hit ? 1.0f : 0.0f;
        float zmax = c.hit ? c.z : -1e9f;
        int n = 1;
        if (edge) {
          int extra = recipe.photoreal ? 8 : 4;
          for (int k = 0; k < extra; ++k) {
            const float* o = recipe.photoreal ? kGrid8[k] : kGrid4[k];
            float sx = world_x(x0 + x + 0.5f + o[0]), sy = world_y(y0 + y + 0.5f + o[1]);
            Sample s = tracer.trace(sx, sy, row_tiles[x / kTile], false);
            if (!s.hit) continue;
            // Borrow the colour of a traced neighbour showing the same material;
            // shade afresh only when none does.
            Material m = body.prims[s.prim].material;
            const Sample* donor = nullptr;
            if (c.hit && body.prims[c.prim].material == m) donor = &c;
            for (int q = 0; q < 4 && !donor; ++q) {
              const Sample* o2 = neighbour(q);
              if (o2 && o2->hit && body.prims[o2->prim].material == m) donor = o2;
            }
            Vec3 colour = donor ? donor->colour : tracer.trace(sx, sy, row_tiles[x / kTile]).colour;
            sum = sum + colour, cover += 1, zmax = std::max(zmax, s.z);
          }
          n += extra;
        }
        if (cover > 0) {
          Vec3 col = sum * (1.0f / cover);
          px[0] = to_srgb(col.x), px[1] = to_srgb(col.y), px[2] = to_srgb(col.z);
          px[3] = cover / n;
          out.depth.at(x, y) = kCameraDistance - zmax;
        }
      }
    }
  });

  // 4. Rig: pivots and boxes (from primitive extents) in target-frame pixels.
  out.rig.recipe = recipe.to_json();
  for (std::size_t pi = 0; pi < body.parts.size(); ++pi) {
    const BodyPart& bp = body.parts[pi];
    float ax0 = 1e9f, ay0 = 1e9f, ax1 = -1e9f, ay1 = -1e9f;
    for (std::size_t i = 0; i < body.prims.size(); ++i) {
      if (body.prims[i].part != static_cast<int>(pi)) continue;
      ax0 = std::min(ax0, ext[i].x0), ay0 = std::min(ay0, ext[i].y0);
      ax1 = std::max(ax1, ext[i].x1), ay1 = std::max(ay1, ext[i].y1);
    }
    model::RigPart part;
    part.name = bp.name;
    part.parent = bp.parent;
    part.pivot_x = ox + bp.pivot.x * scale;
    part.pivot_y = oy - bp.pivot.y * scale;
    if (ax1 > ax0) {
      auto clampi = [](float v, int hi) { return std::clamp(static_cast<int>(v), 0, hi); };
      part.box = {
          clampi(std::floor(ax0), pl.target_width), clampi(std::floor(ay0), pl.target_height),
          clampi(std::ceil(ax1), pl.target_width), clampi(std::ceil(ay1), pl.target_height)};
    }
    out.rig.parts.push_back(std::move(part));
  }
  return out;
}

}  // namespace reel::studio::character

namespace reel::studio {

CharacterLayer render_character(const Json& recipe, const Pose& pose, const Placement& placement,
                                const model::Light& light) {
  return character::render_layer(character::Recipe::from_json(recipe), pose, placement, light);
}

}  // namespace reel::studio
