#include "studio/environment_terrain.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "reel/core/thread_pool.hpp"
#include "reel/studio/noise.hpp"
#include "studio/environment_noise.hpp"

namespace reel::studio::env {

int lod_octaves(float scale, float footprint, int max_octaves) {
  // Octave k has wavelength scale / 2^k; keep those at least two pixels long.
  // floor(log2(x)) read from the float's exponent bits: this runs per noise call.
  float x = scale / std::fmax(footprint * 2.0f, 1e-4f);
  if (x < 1.0f) return 1;
  int n = static_cast<int>((std::bit_cast<std::uint32_t>(x) >> 23) & 255) - 127;
  return std::clamp(n + 1, 1, max_octaves);
}

Vec3 shade_surface(const World& w, const GroundPoint& g, Vec3 n, Vec3 view) {
  const Lighting& l = w.light;
  const Atmosphere& a = w.atmo;
  Vec3 albedo = g.albedo;
  float spec = g.specular;
  if (a.snow_cover > 0 && !g.snow_free) {
    float k = a.snow_cover * smoothstep(0.55f, 0.9f, n.y);
    albedo = mix(albedo, srgb(0.92f, 0.94f, 0.97f), k);
  }
  if (a.wet > 0 && g.kind == Surface::ground) {
    // Wet ground is darker and reflects the sky where it is flat.
    albedo = albedo * (1.0f - 0.45f * a.wet);
    spec = std::fmax(spec, 0.25f * a.wet * smoothstep(0.85f, 0.98f, n.y));
  }
  float ndl = std::fmax(dot(n, l.sun_dir), 0.0f);
  Vec3 light = l.sun * (ndl * g.shadow) + l.sky_ambient * (0.55f + 0.45f * n.y) +
               l.ground_ambient * (0.5f - 0.5f * n.y);
  Vec3 c = albedo * light + g.emission;
  if (spec > 0) {
    Vec3 r = view - n * (2.0f * dot(view, n));
    if (r.y < 0.01f) r = normalize({r.x, 0.01f, r.z});
    float cosv = std::fmax(-dot(view, n), 0.0f);
    // Schlick's Fresnel, base reflectance 2% (water).
    float fres = 0.02f + 0.98f * std::pow(1.0f - cosv, 5.0f);
    float k = clamp01(spec * fres);
    c = mix(c, sky_radiance(w, r, true), k);
    Vec3 hv = normalize(l.sun_dir - view);
    float hl = std::pow(std::fmax(dot(n, hv), 0.0f), g.shininess);
    if (spec >= 0.2f) c += l.sun * (hl * spec * g.shadow * 4.0f);
  }
  return c;
}

void place_camera(World& w, const Terrain& t) {
  w.cam.pos.y = t.height(w.cam.pos.x, w.cam.pos.z, 0.01f) + 1.7f;
}

void render_terrain(const World& w, const Terrain& t, Frame& frame) {
  const Camera& cam = w.cam;
  const int W = cam.width, H = cam.height;
  // Per pixel: forward distance z and height y of the terrain point it sees (z < 0: sky).
  std::vector<float> hit_z(frame.depth.size(), -1.0f), hit_y(frame.depth.size(), 0.0f);
  const float far = std::min(t.far_limit(), kFarPlane);

  // 1. Column march: the y-buffer `top` is the highest row filled so far.
  reel::parallel_for(static_cast<std::size_t>(W), 16, [&](std::size_t b, std::size_t e) {
    for (std::size_t col = b; col < e; ++col) {
      float u = (static_cast<float>(col) + 0.5f - cam.cx) / cam.focal;
      float z = 0.25f;
      float prev_z = z, prev_y = t.height(cam.pos.x + u * z, z, 0.002f);
      int top = H;
      while (z < far && top > 0) {
        // 1% steps near the camera (rocks keep their outlines), 2% past 30 m where
        // a pixel row already spans several percent of the distance.
        float step = std::fmax(0.012f, z * (z < 30.0f ? 0.01f : 0.02f));
        z += step;
        // Silhouettes need less detail than shading: march at a coarser level.
        float fp = z * 3.0f / cam.focal;
        float y = t.height(cam.pos.x + u * z, z, fp);
        float sy = cam.horizon_y - cam.focal * (y - cam.pos.y) / z;
        int row = static_cast<int>(std::ceil(sy - 0.5f));
        if (row < top) {
          // Rows top-1 .. row see the segment between the previous sample and this
          // one: intersect each pixel's ray with it in the (z, y) plane.
          for (int r = top - 1; r >= std::max(row, 0); --r) {
            float slope = ((static_cast<float>(r) + 0.5f) - cam.horizon_y) / cam.focal;
            // ray: y = cam_y - slope * z ; segment: y = prev_y + (z - prev_z) * g
            float g = (y - prev_y) / (z - prev_z);
            float denom = g + slope;
            float zz = std::fabs(denom) > 1e-6f ? (cam.pos.y - prev_y + g * prev_z) / denom : z;
            zz = std::clamp(zz, prev_z, z);
            // Bisection on the true height: steep rock faces span many rows within
            // one march step, and linear interpolation alone shears them.
            float lo = prev_z, hi = z;
            int iters = std::fabs(g) > 2.0f ? 8 : (std::fabs(g) > 0.25f ? 4 : 0);
            for (int it = 0; it < iters; ++it) {
              float hz = t.height(cam.pos.x + u * zz, zz, zz / cam.focal);
              if (cam.pos.y - slope * zz > hz)
                lo = zz;
              else
                hi = zz;
              zz = 0.5f * (lo + hi);
            }
            std::size_t i = static_cast<std::size_t>(r) * W + col;
            hit_z[i] = zz;
            hit_y[i] = cam.pos.y - slope * zz;
          }
          top = std::max(row, 0);
        }
        prev_z = z;
        prev_y = y;
      }
    }
  });

  // 2. Shade rows: every ground pixel from its own world point.
  reel::parallel_for(static_cast<std::size_t>(H), 4, [&](std::size_t b, std::size_t e) {
    for (std::size_t row = b; row < e; ++row) {
      for (int col = 0; col < W; ++col) {
        std::size_t i = row * W + col;
        Vec3 dir = cam.ray(static_cast<float>(col) + 0.5f, static_cast<float>(row) + 0.5f);
        if (hit_z[i] < 0) {
          if (frame.surface[i] != Surface::sky) continue;
          frame.colour[i] = sky_radiance(w, dir);
          frame.depth[i] = kSkyDepth;
          frame.surface[i] = Surface::sky;
          continue;
        }
        float z = hit_z[i];
        float u = (static_cast<float>(col) + 0.5f - cam.cx) / cam.focal;
        Vec3 p{cam.pos.x + u * z, hit_y[i], z};
        float dist = length(p - cam.pos);
        if (frame.depth[i] < dist) continue;  // already covered by something nearer (trees)
        // Footprint grows at grazing angles; the geometric mean keeps detail
        // sideways while stopping shimmer along the view.
        float fp = dist / cam.focal / std::sqrt(std::fmax(std::fabs(dir.y), 0.02f));
        float eps = std::fmax(fp * 0.7f, 0.004f);
        float h0 = t.height(p.x, p.z, fp);
        float hx = t.height(p.x + eps, p.z, fp);
        float hz = t.height(p.x, p.z + eps, fp);
        Vec3 n = normalize({h0 - hx, eps, h0 - hz});
        p.y = h0;
        GroundPoint g = t.surface(p, n, fp);
        if (g.has_normal) n = g.normal;
        frame.colour[i] = shade_surface(w, g, n, dir);
        frame.depth[i] = std::min(dist, kFarPlane);
        frame.surface[i] = g.kind;
      }
    }
  });
}

}  // namespace reel::studio::env
