#include "character_shade.hpp"

#include <algorithm>
#include <cmath>

#include "reel/studio/noise.hpp"

namespace reel::studio::character {
namespace {

struct Surface {
  Vec3 albedo;
  float spec = 0.1f;     // specular strength
  float shininess = 20;  // Blinn exponent
  float reflect = 0;     // environment reflection strength
  Vec3 reflect_tint{1, 1, 1};
  float wrap = 0;  // diffuse wrap (soft materials)
  Vec3 emit;
  float detail = 1e9f;  // distance to the nearest painted feature, character units
};

Vec3 rgb(const Rgb& c) {
  return {c[0], c[1], c[2]};
}

float fract(float x) {
  return x - std::floor(x);
}

// Distance to the nearest multiple of `period` (for grooves and seams).
float groove(float x, float period) {
  float f = fract(x / period);
  return std::min(f, 1 - f) * period;
}

// The studio environment seen in reflections: warm horizon, dark-blue zenith,
// brown ground, and the key light as a bright spot.
Vec3 environment(Vec3 r, const LightRig& l) {
  Vec3 c;
  if (r.y > 0) {
    float t = std::pow(r.y, 0.45f);
    c = vmix(Vec3{0.95f, 0.72f, 0.5f}, Vec3{0.08f, 0.12f, 0.28f}, t);
  } else {
    float t = std::min(1.0f, -r.y * 3);
    c = vmix(Vec3{0.5f, 0.36f, 0.26f}, Vec3{0.12f, 0.08f, 0.06f}, t);
  }
  float sun = std::max(0.0f, dot(r, l.key_dir));
  c = c + l.key * (std::pow(sun, 300.0f) * 12.0f + std::pow(sun, 12.0f) * 0.35f);
  return c;
}

Vec3 cone_local(const Primitive& pr, Vec3 p, float* t_out) {
  Vec3 ba = pr.b - pr.centre;
  float l2 = dot(ba, ba);
  float t = dot(p - pr.centre, ba) / l2;
  *t_out = t;
  Mat3 frame = align_y(normalize(ba));
  return tmul(frame, p - pr.centre);
}

Surface material(const Recipe& r, const Primitive& pr, Vec3 p) {
  Surface s;
  Vec3 local = tmul(pr.rot, p - pr.centre);
  switch (pr.material) {
    case Material::suit:
      s.albedo = rgb(r.primary), s.spec = 0.08f, s.shininess = 12, s.wrap = 0.25f;
      break;
    case Material::suit_dark:
      s.albedo = rgb(r.secondary), s.spec = 0.25f, s.shininess = 30;
      break;
    case Material::accent:
      s.albedo = rgb(r.accent), s.spec = 0.15f, s.shininess = 20;
      break;
    case Material::backpack:
      s.albedo = rgb(r.primary) * 0.92f, s.spec = 0.1f, s.shininess = 16;
      break;
    case Material::control_box:
      s.albedo = rgb(r.primary) * 0.85f, s.spec = 0.3f, s.shininess = 40;
      break;
    case Material::visor: {
      float tint_l = r.visor[0] + r.visor[1] + r.visor[2];
      s.albedo = rgb(r.visor) * 0.08f;
      s.spec = 1.2f, s.shininess = 250, s.reflect = 0.95f;
      s.reflect_tint = tint_l > 0 ? rgb(r.visor) * (2.2f / std::max(0.6f, tint_l)) : Vec3{1, 1, 1};
      break;
    }
    case Material::metal:
      s.albedo = rgb(r.primary) * 0.55f, s.spec = 0.9f, s.shininess = 60, s.reflect = 0.45f;
      s.reflect_tint = rgb(r.primary) * 1.2f;
      break;
    case Material::metal_dark:
      s.albedo = rgb(r.secondary), s.spec = 0.6f, s.shininess = 50, s.reflect = 0.2f;
      break;
    case Material::glow:
      s.albedo = rgb(r.visor) * 0.3f, s.emit = rgb(r.visor) * 1.4f, s.spec = 0.8f, s.shininess = 80;
      break;
    case Material::skin:
      s.albedo = rgb(r.skin), s.spec = 0.12f, s.shininess = 18, s.wrap = 0.35f;
      break;
    case Material::lips:
      s.albedo = mul(rgb(r.skin), Vec3{0.8f, 0.5f, 0.5f}), s.spec = 0.3f, s.shininess = 30;
      break;
    case Material::hair:
      s.albedo = rgb(r.hair), s.spec = 0.3f, s.shininess = 35, s.wrap = 0.2f;
      break;
    case Material::cloth_top:
      s.albedo = rgb(r.primary), s.spec = 0.04f, s.shininess = 8, s.wrap = 0.3f;
      break;
    case Material::cloth_bottom:
      s.albedo = rgb(r.secondary), s.spec = 0.05f, s.shininess = 8, s.wrap = 0.3f;
      break;
    case Material::shoe:
      s.albedo = rgb(r.boots), s.spec = 0.25f, s.shininess = 30, s.wrap = 0.1f;
      break;
    case Material::fur: {
      s.albedo = rgb(r.primary), s.spec = 0.05f, s.shininess = 8, s.wrap = 0.4f;
      float f = fbm3(p.x * 60, p.y * 60, p.z * 60, r.detail_seed, 2);
      s.albedo = s.albedo * (0.9f + 0.12f * f);
      break;
    }
    case Material::fur_light:
      s.albedo = rgb(r.accent), s.spec = 0.05f, s.shininess = 8, s.wrap = 0.4f;
      if (r.archetype == Archetype::dog) s.albedo = rgb(r.secondary);
      break;
    case Material::eye: {
      Vec3 d = normalize(local);
      bool animal = is_quadruped(r.archetype);
      s.albedo = animal ? rgb(r.visor) : Vec3{0.85f, 0.85f, 0.82f};
      if (!animal && d.z > 0.82f) s.albedo = rgb(r.visor);
      bool pupil = r.archetype == Archetype::cat ? (d.z > 0.5f && std::fabs(d.x) < 0.18f)
                                                 : d.z > (animal ? 0.55f : 0.95f);
      if (pupil) s.albedo = Vec3{0.01f, 0.01f, 0.01f};
      s.spec = 1.0f, s.shininess = 120, s.reflect = 0.15f;
      break;
    }
    case Material::dark:
      s.albedo = {0.035f, 0.03f, 0.03f}, s.spec = 0.3f, s.shininess = 40;
      break;
  }
  // Decals.
  switch (pr.decal) {
    case Decal::none:
      break;
    case Decal::limb_seams: {
      float t;
      Vec3 l = cone_local(pr, p, &t);
      float g = std::min(std::fabs(t - 0.45f), std::fabs(t - 0.8f));
      if (g < 0.025f) s.albedo = s.albedo * (0.55f + 0.45f * g / 0.025f);
      if (std::fabs(l.x) < 0.003f && l.z < 0) s.albedo = s.albedo * 0.7f;
      s.detail = std::min((g - 0.025f) * std::sqrt(pr.l2), std::max(std::fabs(l.x) - 0.003f, l.z));
      break;
    }
    case Decal::torso_seams: {
      Vec3 u = div(local, pr.size);
      float g = std::min(std::fabs(u.x) * 2.2f, std::fabs(u.y - 0.5f));
      if (g < 0.04f && u.z > 0) s.albedo = s.albedo * (0.55f + 0.45f * g / 0.04f);
      if (std::fabs(std::fabs(u.x) - 0.55f) < 0.03f && u.y > -0.2f) s.albedo = s.albedo * 0.75f;
      float gu = std::min({std::fabs(u.x) - 0.04f / 2.2f, std::fabs(u.y - 0.5f) - 0.04f,
                           std::fabs(std::fabs(u.x) - 0.55f) - 0.03f});
      s.detail = gu * std::min({pr.size.x, pr.size.y, pr.size.z});
      break;
    }
    case Decal::stripe: {
      float t;
      cone_local(pr, p, &t);
      if (t > 0.28f && t < 0.4f) s.albedo = rgb(r.accent);
      s.detail = std::min(std::fabs(t - 0.28f), std::fabs(t - 0.4f)) * std::sqrt(pr.l2);
      break;
    }
    case Decal::panel_lines: {
      float g;
      if (pr.shape == Shape::round_cone) {
        float t;
        Vec3 l = cone_local(pr, p, &t);
        g = std::min(groove(t, 0.5f) * 0.16f, std::fabs(l.x) < 0.0035f && l.z > 0 ? 0.0f : 1.0f);
        s.detail = std::min((groove(t, 0.5f) - 0.0035f / 0.16f) * std::sqrt(pr.l2),
                            std::max(std::fabs(l.x) - 0.0035f, -l.z));
      } else {
        Vec3 u = local;
        g = std::min({groove(u.y + 0.01f, 0.06f), std::fabs(u.x) + (u.z > 0 ? 0 : 1), 1.0f});
        s.detail = g - 0.0035f;
      }
      if (g < 0.0035f) s.albedo = s.albedo * 0.25f, s.reflect *= 0.3f;
      break;
    }
    case Decal::buttons: {
      Vec3 u = div(local, pr.size);
      s.detail = u.z > 0.4f ? 0.0f : (0.4f - u.z) * pr.size.z;
      if (u.z > 0.6f) {
        static const Vec3 kButtons[4] = {
            {0.8f, 0.05f, 0.05f}, {0.1f, 0.6f, 0.15f}, {0.9f, 0.7f, 0.1f}, {0.1f, 0.25f, 0.8f}};
        for (int k = 0; k < 4; ++k) {
          float bx = -0.6f + 0.4f * k, by = 0.35f;
          float dx = (u.x - bx) * pr.size.x, dy = (u.y - by) * pr.size.y;
          if (dx * dx + dy * dy < 0.01f * 0.01f) s.albedo = kButtons[k], s.spec = 0.8f;
        }
        if (u.y < 0.05f && u.y > -0.65f && u.x > -0.75f && u.x < 0.2f)
          s.albedo = {0.04f, 0.05f, 0.06f}, s.spec = 0.8f, s.shininess = 90;
      }
      break;
    }
    case Decal::tabby: {
      float w = perlin3(p.x * 12, p.y * 12, p.z * 12, r.detail_seed + 7);
      float st = std::sin(local.x * 70 + w * 3);
      if (st > 0.35f) s.albedo = vmix(s.albedo, rgb(r.secondary), std::min(1.0f, (st - 0.35f) * 4));
      s.detail = 0;
      break;
    }
    case Decal::vents: {
      if (std::fabs(local.x) > pr.size.x * 0.85f && groove(local.y, 0.025f) < 0.003f)
        s.albedo = s.albedo * 0.6f;
      s.detail = pr.size.x * 0.85f - std::fabs(local.x);
      break;
    }
  }
  s.detail = std::max(0.0f, s.detail);
  return s;
}

}  // namespace

LightRig make_light_rig(const model::Light& light) {
  LightRig l;
  l.key_dir = normalize({light.direction[0], light.direction[1], light.direction[2]});
  l.key = {light.color[0], light.color[1], light.color[2]};
  l.ambient = {light.ambient[0], light.ambient[1], light.ambient[2]};
  // The rim light sits behind the character, opposite the key's side.
  l.rim_dir = normalize({-l.key_dir.x * 0.8f - 0.1f, 0.35f, -0.6f});
  l.rim = vmix(Vec3{0.55f, 0.65f, 0.85f}, l.key, 0.3f) * 0.55f;
  return l;
}

Vec3 shade(const Recipe& recipe, const Primitive& prim, Vec3 p, Vec3 n, float ao, float shadow,
           const LightRig& l, float* detail) {
  Surface s = material(recipe, prim, p);
  if (detail) *detail = s.detail;
  const Vec3 v{0, 0, 1};
  float ndl = dot(n, l.key_dir);
  float diff = std::max(0.0f, (ndl + s.wrap) / (1 + s.wrap)) * shadow;
  float hemi = 0.55f + 0.45f * n.y;
  Vec3 ambient = l.ambient * (hemi * ao);
  Vec3 bounce = Vec3{0.35f, 0.28f, 0.22f} * (0.12f * std::max(0.0f, -n.y) * ao);
  Vec3 c = mul(s.albedo, l.key * diff + ambient + bounce);
  Vec3 h = normalize(l.key_dir + v);
  float spec = std::pow(std::max(0.0f, dot(n, h)), s.shininess) * s.spec * shadow *
               (ndl > 0 ? 1.0f : 0.0f) * (s.shininess + 8) / 40.0f;
  c = c + l.key * spec;
  float ndv = std::max(0.0f, n.z);
  float fres = std::pow(1 - ndv, 4.0f);
  float rim = fres * std::max(0.0f, dot(n, l.rim_dir) + 0.35f);
  c = c + mul(l.rim, s.albedo * 0.6f + Vec3{0.25f, 0.25f, 0.25f}) * (rim * ao);
  if (s.reflect > 0) {
    Vec3 r = n * (2 * n.z) - v;
    Vec3 env = mul(environment(r, l), s.reflect_tint);
    float k = s.reflect * (0.35f + 0.65f * fres) * (0.4f + 0.6f * ao);
    c = c * (1 - k * 0.5f) + env * k;
  }
  return c + s.emit;
}

}  // namespace reel::studio::character
