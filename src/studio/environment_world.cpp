#include "studio/environment_world.hpp"

#include <cmath>

#include "reel/studio/noise.hpp"

namespace reel::studio::env {
namespace {

enum class Sky { earth, mars, space, studio };

Sky sky_kind(Scene s) {
  switch (s) {
    case Scene::mars:
      return Sky::mars;
    case Scene::space:
      return Sky::space;
    case Scene::studio:
      return Sky::studio;
    default:
      return Sky::earth;
  }
}

// Sun (or moon) position per time of day. Azimuths keep the low sun and the moon
// inside the default field of view, so the light you see matches the shading.
Vec3 sun_direction(TimeOfDay t) {
  switch (t) {
    case TimeOfDay::dawn:
      return direction_deg(6.0f, -34.0f);
    case TimeOfDay::noon:
      return direction_deg(40.0f, 118.0f);
    case TimeOfDay::sunset:
      return direction_deg(4.5f, 26.0f);
    case TimeOfDay::night:
      return direction_deg(15.0f, -24.0f);
  }
  return direction_deg(50.0f, 118.0f);
}

void earth_palette(World& w) {
  auto& s = w.sky;
  auto& l = w.light;
  switch (w.spec.time) {
    case TimeOfDay::dawn:
      s.zenith = srgb(0.30f, 0.38f, 0.58f) * 0.7f;
      s.horizon = srgb(0.96f, 0.72f, 0.60f) * 0.8f;
      s.glow = srgb(1.0f, 0.62f, 0.35f) * 1.3f;
      s.disk = Vec3{60, 40, 22};
      l.sun = srgb(1.0f, 0.70f, 0.48f) * 2.0f;
      s.cloud_lit = srgb(1.0f, 0.72f, 0.6f) * 0.9f;
      s.cloud_shade = srgb(0.45f, 0.42f, 0.55f) * 0.6f;
      l.exposure = 1.15f;
      break;
    case TimeOfDay::noon:
      s.zenith = srgb(0.20f, 0.40f, 0.80f) * 0.7f;
      s.horizon = srgb(0.66f, 0.77f, 0.90f) * 0.8f;
      s.glow = srgb(1.0f, 0.95f, 0.85f) * 0.6f;
      s.disk = Vec3{80, 78, 72};
      l.sun = srgb(1.0f, 0.97f, 0.92f) * 2.2f;
      s.cloud_lit = srgb(1.0f, 1.0f, 1.0f) * 0.95f;
      s.cloud_shade = srgb(0.62f, 0.66f, 0.74f) * 0.7f;
      l.exposure = 1.0f;
      break;
    case TimeOfDay::sunset:
      s.zenith = srgb(0.20f, 0.26f, 0.50f) * 0.6f;
      s.horizon = srgb(1.0f, 0.62f, 0.36f) * 0.85f;
      s.glow = srgb(1.0f, 0.50f, 0.18f) * 1.6f;
      s.disk = Vec3{70, 34, 10};
      l.sun = srgb(1.0f, 0.55f, 0.28f) * 2.1f;
      s.cloud_lit = srgb(1.0f, 0.55f, 0.35f) * 1.0f;
      s.cloud_shade = srgb(0.42f, 0.30f, 0.42f) * 0.6f;
      l.exposure = 1.15f;
      break;
    case TimeOfDay::night:
      s.zenith = srgb(0.02f, 0.03f, 0.08f);
      s.horizon = srgb(0.06f, 0.08f, 0.16f);
      s.glow = srgb(0.3f, 0.35f, 0.5f) * 0.15f;
      s.disk = srgb(0.95f, 0.95f, 0.9f) * 3.0f;
      s.moon = true;
      s.star_brightness = 1.0f;
      l.sun = srgb(0.55f, 0.65f, 0.9f) * 0.35f;
      s.cloud_lit = srgb(0.2f, 0.22f, 0.3f) * 0.3f;
      s.cloud_shade = srgb(0.05f, 0.06f, 0.1f) * 0.3f;
      l.exposure = 1.6f;
      break;
  }
}

void mars_palette(World& w) {
  auto& s = w.sky;
  auto& l = w.light;
  // Mars: butterscotch sky from suspended dust; the sunset glow around the sun is
  // blue (dust forward-scatters blue light), the sunlight itself stays warm.
  switch (w.spec.time) {
    case TimeOfDay::dawn:
      s.zenith = srgb(0.45f, 0.34f, 0.30f) * 0.55f;
      s.horizon = srgb(0.85f, 0.62f, 0.48f) * 0.75f;
      s.glow = srgb(0.62f, 0.72f, 0.9f) * 0.9f;
      s.disk = Vec3{40, 40, 44};
      l.sun = srgb(1.0f, 0.74f, 0.55f) * 1.8f;
      l.exposure = 1.2f;
      break;
    case TimeOfDay::noon:
      s.zenith = srgb(0.50f, 0.35f, 0.28f) * 0.55f;
      s.horizon = srgb(0.88f, 0.70f, 0.52f) * 0.8f;
      s.glow = srgb(1.0f, 0.92f, 0.8f) * 0.5f;
      s.disk = Vec3{70, 68, 64};
      l.sun = srgb(1.0f, 0.90f, 0.78f) * 2.4f;
      l.exposure = 1.0f;
      break;
    case TimeOfDay::sunset:
      s.zenith = srgb(0.38f, 0.28f, 0.25f) * 0.5f;
      s.horizon = srgb(0.78f, 0.55f, 0.40f) * 0.7f;
      s.glow = srgb(0.55f, 0.70f, 0.95f) * 1.2f;
      s.glow_power = 14.0f;
      s.disk = Vec3{45, 48, 55};
      l.sun = srgb(1.0f, 0.66f, 0.42f) * 1.8f;
      l.exposure = 1.25f;
      break;
    case TimeOfDay::night:
      s.zenith = srgb(0.025f, 0.02f, 0.03f);
      s.horizon = srgb(0.08f, 0.06f, 0.07f);
      s.glow = srgb(0.3f, 0.3f, 0.35f) * 0.1f;
      s.disk = srgb(0.9f, 0.88f, 0.85f) * 2.0f;
      s.moon = true;  // Phobos, drawn large for the picture's sake
      s.star_brightness = 1.0f;
      l.sun = srgb(0.7f, 0.65f, 0.7f) * 0.3f;
      l.exposure = 1.6f;
      break;
  }
  s.cloud_lit = srgb(0.95f, 0.88f, 0.85f) * 0.8f;
  s.cloud_shade = srgb(0.7f, 0.55f, 0.5f) * 0.5f;
}

Vec3 ground_tint(Scene s) {
  switch (s) {
    case Scene::mars:
      return srgb(0.75f, 0.42f, 0.26f);
    case Scene::desert:
      return srgb(0.85f, 0.70f, 0.50f);
    case Scene::forest:
      return srgb(0.35f, 0.45f, 0.25f);
    case Scene::beach:
      return srgb(0.85f, 0.78f, 0.62f);
    case Scene::city:
      return srgb(0.5f, 0.5f, 0.5f);
    case Scene::mountains:
      return srgb(0.85f, 0.88f, 0.92f);
    default:
      return srgb(0.6f, 0.6f, 0.6f);
  }
}

void set_atmosphere(World& w) {
  auto& a = w.atmo;
  auto& s = w.sky;
  auto& l = w.light;
  const auto& spec = w.spec;
  float k = spec.intensity;
  switch (spec.scene) {
    case Scene::mars:
      a.fog_density = 1.4e-4f;
      a.fog_height = 4000;
      break;
    case Scene::desert:
      a.fog_density = 1.2e-4f;
      a.fog_height = 2000;
      break;
    case Scene::forest:
      a.fog_density = 1.6e-3f;
      a.fog_height = 400;
      break;
    case Scene::city:
      a.fog_density = 3.5e-4f;
      a.fog_height = 800;
      break;
    case Scene::mountains:
      a.fog_density = 7e-5f;
      a.fog_height = 1800;
      break;
    case Scene::beach:
      a.fog_density = 1.0e-4f;
      a.fog_height = 1200;
      break;
    default:
      break;
  }
  switch (spec.scene) {
    case Scene::forest:
    case Scene::beach:
    case Scene::mountains:
    case Scene::city:
      s.cloud_cover = spec.time == TimeOfDay::night ? 0.2f : 0.45f;
      break;
    case Scene::mars:
      s.cloud_cover = 0.08f;
      break;
    default:
      break;
  }
  if (spec.clouds_requested) s.cloud_cover = std::fmax(s.cloud_cover, 0.6f);
  bool dusty = spec.scene == Scene::mars || spec.scene == Scene::desert;
  switch (spec.weather) {
    case Weather::clear:
      if (!spec.clouds_requested && spec.far_weather) s.cloud_cover *= 0.6f;
      break;
    case Weather::dust_storm:
      a.fog_tint = dusty ? srgb(0.72f, 0.42f, 0.24f) : srgb(0.70f, 0.55f, 0.40f);
      a.fog_tint_mix = 0.6f;
      a.fog_dim = 0.8f;
      if (dusty) {
        a.dust_wall = true;
        a.wall_distance = spec.far_weather ? 3600.0f : 1500.0f;
        a.wall_height = (spec.far_weather ? 950.0f : 520.0f) * k;
        a.fog_density *= spec.far_weather ? 1.3f : 4.0f;
        l.sun *= spec.far_weather ? 0.85f : 0.6f;
      } else {
        a.fog_density = 2.5e-3f * k;
        a.fog_height = 300;
        l.sun *= 0.45f;
      }
      s.horizon = mix(s.horizon, srgb(0.80f, 0.56f, 0.36f) * 0.8f, 0.5f);
      s.cloud_cover *= 0.3f;
      break;
    case Weather::fog:
      a.fog_density = 9e-3f * k;
      a.fog_height = 120.0f;
      a.fog_tint = srgb(0.9f, 0.9f, 0.92f);
      a.fog_tint_mix = 0.5f;
      s.overcast = 0.55f;
      s.overcast_colour = mix(s.horizon, Vec3{0.5f, 0.5f, 0.52f} * l.exposure, 0.6f);
      l.sun *= 0.4f;
      s.disk *= 0.08f;
      break;
    case Weather::rain:
      a.fog_density = std::fmax(a.fog_density, 1.6e-3f * k);
      a.fog_height = 400;
      a.rain = spec.far_weather ? 0.35f * k : k;
      a.wet = 1.0f;
      s.overcast = 0.92f;
      s.overcast_colour = srgb(0.48f, 0.50f, 0.54f) * 0.6f;
      if (spec.time == TimeOfDay::night) s.overcast_colour *= 0.08f;
      l.sun *= 0.12f;
      a.fog_tint = srgb(0.6f, 0.62f, 0.66f);
      a.fog_tint_mix = 0.6f;
      break;
    case Weather::snow:
      a.fog_density = std::fmax(a.fog_density, 2.0e-3f * k);
      a.fog_height = 500;
      a.snow = spec.far_weather ? 0.35f * k : k;
      a.snow_cover = 0.7f;
      s.overcast = 0.85f;
      s.overcast_colour = srgb(0.75f, 0.78f, 0.82f) * 0.8f;
      if (spec.time == TimeOfDay::night) s.overcast_colour *= 0.08f;
      l.sun *= 0.25f;
      a.fog_tint = srgb(0.85f, 0.87f, 0.9f);
      a.fog_tint_mix = 0.6f;
      break;
  }
}

}  // namespace

World make_world(const EnvSpec& spec, int width, int height, std::uint64_t seed) {
  World w;
  w.spec = spec;
  w.seed = static_cast<std::uint32_t>(hash64(seed, static_cast<std::uint64_t>(spec.scene)));
  auto& c = w.cam;
  c.width = width;
  c.height = height;
  // 50 degree vertical field of view, horizon 42% from the top.
  c.focal = static_cast<float>(height) / (2.0f * std::tan(25.0f * 3.14159265f / 180.0f));
  c.cx = width * 0.5f;
  c.horizon_y = height * 0.42f;
  c.pos = {0, 1.7f, 0};

  w.sky.sun_dir = w.light.sun_dir = sun_direction(spec.time);
  switch (sky_kind(spec.scene)) {
    case Sky::mars:
      mars_palette(w);
      break;
    default:
      earth_palette(w);
      break;
  }
  w.sky.disk_radius = spec.scene == Scene::mars ? 0.0075f : 0.0105f;
  if (w.sky.moon) w.sky.disk_radius = 0.022f;
  set_atmosphere(w);
  w.light.sky_ambient = mix(w.sky.zenith, w.sky.horizon, 0.35f) * 1.1f;
  if (w.sky.overcast > 0)
    w.light.sky_ambient = mix(w.light.sky_ambient, w.sky.overcast_colour * 1.3f, w.sky.overcast);
  w.light.ground_ambient =
      (w.light.sun * (0.12f * std::fmax(w.light.sun_dir.y, 0.05f)) + w.light.sky_ambient * 0.25f) *
      ground_tint(spec.scene);
  return w;
}

}  // namespace reel::studio::env
