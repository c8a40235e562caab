// studio-animator: the ImageToVideo front. Validates the request, prepares
// everything that does not change over the clip once (background at output
// size with the contact shadow baked in, parallax, effect textures), then draws
// each frame from closed-form functions of time, several frames in parallel.
#include <algorithm>
#include <cmath>
#include <limits>

#include "reel/core/error.hpp"
#include "reel/core/thread_pool.hpp"
#include "reel/model/limits.hpp"
#include "reel/studio/animator.hpp"
#include "studio/animator_camera.hpp"
#include "studio/animator_composite.hpp"
#include "studio/animator_effects.hpp"
#include "studio/animator_pixels.hpp"
#include "studio/animator_timeline.hpp"
#include "studio/studio_card.hpp"

namespace reel::studio {
namespace {

using detail::Backdrop;
using detail::CharacterStage;

constexpr const char* kWhat = "studio-animator";

model::ModelCard animator_card() {
  model::ModelCard c = studio_card("studio-animator", "Studio layer- and depth-aware animator",
                                   model::Task::image_to_video);
  // Measured with the demo clip (1280x720, 120 frames = 110.6 megapixel-frames,
  // subtle head turn + dust, nine studio-character key renders) on the 2-core
  // build VM: about 2.1 CPU-seconds, i.e. ~1.1 s wall on 2 idle cores.
  c.cost = {"cpu", 0.15, 0.011, "2-core x86-64 VM, -O2 -march=native (demo clip, measured)"};
  c.description =
      "Animates a still over a background from a motion prompt: head turns, nods, breathing, "
      "waves, walking; pans, tilts, zooms, dollies, orbits and handheld shake with depth "
      "parallax; dust, clouds, rain, snow and fog";
  return c;
}

struct OutputSize {
  int width = 0, height = 0;
};

OutputSize choose_size(const model::ImageToVideoRequest& r) {
  OutputSize s;
  if (r.width != 0 || r.height != 0) {
    if (r.width <= 0 || r.height <= 0)
      throw Error(ErrorKind::InvalidInput,
                  std::string(kWhat) +
                      ": width and height must both be given (positive) or both "
                      "be 0 (take the background's or the image's size); got " +
                      std::to_string(r.width) + "x" + std::to_string(r.height));
    s = {r.width, r.height};
  } else if (r.background && !r.background->image.empty()) {
    s = {r.background->image.width(), r.background->image.height()};
  } else {
    s = {r.image.image.width(), r.image.image.height()};
  }
  model::check_size(s.width, s.height, model::default_limits(), kWhat);
  if (s.width % 2 != 0 || s.height % 2 != 0) {
    const int lo_w = s.width & ~1, lo_h = s.height & ~1;
    const int hi_w = s.width + (s.width & 1), hi_h = s.height + (s.height & 1);
    throw Error(ErrorKind::InvalidInput,
                std::string(kWhat) + ": output size " + std::to_string(s.width) + "x" +
                    std::to_string(s.height) +
                    " has an odd side; H.264 video needs even sizes: ask for " +
                    std::to_string(lo_w) + "x" + std::to_string(lo_h) + " or " +
                    std::to_string(hi_w) + "x" + std::to_string(hi_h));
  }
  return s;
}

// Scales `src` to cover W x H and crops the centre, so no aspect is distorted.
struct CoverCrop {
  int x0, y0, w, h;
};
CoverCrop cover_crop(int sw, int sh, int W, int H) {
  const double scale = std::max(static_cast<double>(W) / sw, static_cast<double>(H) / sh);
  const int w = std::clamp(static_cast<int>(std::lround(W / scale)), 1, sw);
  const int h = std::clamp(static_cast<int>(std::lround(H / scale)), 1, sh);
  return {(sw - w) / 2, (sh - h) / 2, w, h};
}

media::Image opaque_u8_from_premultiplied(const media::Image& pre) {
  media::Image out(pre.width(), pre.height(), media::PixelType::u8);
  const float* p = pre.f32();
  std::uint8_t* o = out.u8();
  for (std::size_t i = 0; i < out.pixel_count(); ++i, p += 4, o += 4) {
    // Over black: premultiplied colour is already the composite.
    for (int c = 0; c < 3; ++c)
      o[c] = static_cast<std::uint8_t>(std::clamp(p[c], 0.0f, 1.0f) * 255.0f + 0.5f);
    o[3] = 255;
  }
  return out;
}

media::Plane crop_resize_plane(const media::Plane& src, const CoverCrop& c, int W, int H) {
  media::Plane crop(c.w, c.h);
  for (int y = 0; y < c.h; ++y)
    for (int x = 0; x < c.w; ++x) crop.at(x, y) = src.at(c.x0 + x, c.y0 + y);
  return detail::resize_plane(crop, W, H);
}

// Depth of the ground under the feet: the median of finite depths in a small
// window, or a low percentile of the whole plane when that window has none.
float reference_depth(const media::Plane& depth, float fx, float fy) {
  std::vector<float> v;
  const int cx = static_cast<int>(fx), cy = static_cast<int>(fy);
  const int r = std::max(2, depth.height() / 100);
  for (int y = cy - r; y <= cy + r; ++y)
    for (int x = cx - r; x <= cx + r; ++x) {
      if (x < 0 || y < 0 || x >= depth.width() || y >= depth.height()) continue;
      const float d = depth.at(x, y);
      if (std::isfinite(d) && d > 0) v.push_back(d);
    }
  if (v.empty()) {
    for (int i = 0; i < depth.width() * depth.height(); i += 7) {
      const float d = depth.data()[i];
      if (std::isfinite(d) && d > 0) v.push_back(d);
    }
    if (v.empty()) return 1.0f;
    std::nth_element(v.begin(), v.begin() + v.size() / 10, v.end());
    return v[v.size() / 10];
  }
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::array<float, 3> lower_half_mean(const media::Image& rgba) {
  double acc[3] = {0, 0, 0};
  std::size_t n = 0;
  for (int y = rgba.height() / 2; y < rgba.height(); y += 2)
    for (int x = 0; x < rgba.width(); x += 2, ++n) {
      const std::uint8_t* p = rgba.u8_pixel(x, y);
      for (int c = 0; c < 3; ++c) acc[c] += p[c];
    }
  std::array<float, 3> out{0.5f, 0.5f, 0.5f};
  if (n)
    for (int c = 0; c < 3; ++c) out[c] = static_cast<float>(acc[c] / n / 255.0);
  return out;
}

// A background whose generator reports weather (studio-environment's
// metadata.weather) keeps it alive with a subtle matching effect, unless the
// motion prompt names an effect itself or params.ambient_weather is false.
void add_ambient_weather(MotionPlan& plan, const model::ImageToVideoRequest& req,
                         std::vector<std::string>& notes) {
  if (!req.background || !req.background->metadata.is_object()) return;
  if (req.params.is_object() && !req.params.value("ambient_weather", true)) return;
  const std::string weather = req.background->metadata.value("weather", std::string());
  const char* kind = weather == "dust_storm" ? "dust"
                     : weather == "fog"      ? "fog"
                     : weather == "rain"     ? "rain"
                     : weather == "snow"     ? "snow"
                                             : nullptr;
  if (!kind) return;
  for (const MotionPrimitive& p : plan.primitives)
    if (p.kind == "dust" || p.kind == "fog" || p.kind == "rain" || p.kind == "snow" ||
        p.kind == "clouds")
      return;
  MotionPrimitive p;
  p.kind = kind;
  p.intensity = Intensity::subtle;
  p.direction_x = 1;
  plan.primitives.push_back(p);
  notes.push_back("the background's weather (" + weather + ") adds subtle " + kind +
                  " motion; name an effect in the motion prompt, or set extra.ambient_weather "
                  "to false in the step's params (--set STEP.extra.ambient_weather=false), to "
                  "change that");
}

// studio-animator's `extra` settings, checked alike before a run (pre-flight) and in it.
void check_animator_extra(const Json& extra) {
  model::check_extra_keys(kWhat, extra, {"ambient_weather"});
  if (extra.is_object())
    if (auto it = extra.find("ambient_weather"); it != extra.end() && !it->is_boolean())
      throw Error(
          ErrorKind::InvalidInput,
          std::string(kWhat) + ": extra.ambient_weather must be true or false; got " + it->dump());
}

class AnimatorModel final : public model::ImageToVideo {
 public:
  const model::ModelCard& card() const override { return card_; }

  void check(const model::PlannedCall& call) const override { check_animator_extra(call.params); }

  // As choose_size: the asked size, else the background's, else the image's.
  model::Size output_size(const model::PlannedCall& call) const override {
    if (call.width != 0 || call.height != 0) return {call.width, call.height};
    for (const char* slot : {"background", "image"})
      if (auto it = call.input_sizes.find(slot); it != call.input_sizes.end()) return it->second;
    return {};
  }

  model::VideoResult animate(const model::ImageToVideoRequest& req,
                             model::RunContext& ctx) override {
    const auto& limits = model::default_limits();
    model::check_fps(req.fps, limits, kWhat);
    model::check_duration(req.duration_seconds, req.fps, limits, kWhat);
    model::check_prompt(req.motion, limits, kWhat, /*required=*/false);
    check_animator_extra(req.params);
    if (req.image.image.empty())
      throw Error(ErrorKind::InvalidInput,
                  std::string(kWhat) + ": the image to animate is empty; give a still (RGBA)");
    if (req.background && req.background->image.empty())
      throw Error(ErrorKind::InvalidInput,
                  std::string(kWhat) + ": the background image is empty; give one or leave it out");
    const OutputSize size = choose_size(req);
    const int W = size.width, H = size.height;
    const int frames = std::max(1, static_cast<int>(std::lround(req.duration_seconds * req.fps)));
    // The result holds every frame in memory: refuse clips that would not fit.
    constexpr double kMaxVideoBytes = 6.0 * 1024 * 1024 * 1024;
    const double bytes = 4.0 * W * H * frames;
    if (bytes > kMaxVideoBytes)
      throw Error(ErrorKind::InvalidInput,
                  std::string(kWhat) + ": " + std::to_string(frames) + " frames of " +
                      std::to_string(W) + "x" + std::to_string(H) + " need " +
                      std::to_string(static_cast<long long>(bytes / (1024 * 1024))) +
                      " MiB; at most 6144 MiB of frames are allowed: shorten the clip or lower "
                      "the size");

    model::VideoResult result;
    MotionPlan plan = parse_motion(req.motion);
    result.notes = plan.notes;
    add_ambient_weather(plan, req, result.notes);
    detail::MotionTimeline timeline(plan, req.duration_seconds, W, H, req.seed);

    // 1. Light: the environment's, so the character is lit like its surroundings.
    model::Light light;
    bool light_from_background = false;
    if (req.background && req.background->light) {
      light = *req.background->light;
      light_from_background = true;
    } else if (req.image.light) {
      light = *req.image.light;
    }

    // 2. The still background at output size, and its parallax.
    const model::ImageResult* bg = req.background ? &*req.background : nullptr;
    const bool image_is_backdrop = !bg && req.image.image.is_opaque();
    Backdrop backdrop;
    backdrop.centre_x = W * 0.5f;
    backdrop.centre_y = H * 0.5f;
    const model::ImageResult* back_src = bg ? bg : (image_is_backdrop ? &req.image : nullptr);
    if (back_src) {
      const media::Image& bi = back_src->image;
      const CoverCrop crop = cover_crop(bi.width(), bi.height(), W, H);
      backdrop.rgba = opaque_u8_from_premultiplied(
          detail::resize_premultiplied(bi, crop.x0, crop.y0, crop.w, crop.h, W, H));
      if (back_src->depth && back_src->depth->width() == bi.width() &&
          back_src->depth->height() == bi.height()) {
        media::Plane depth = crop_resize_plane(*back_src->depth, crop, W, H);
        const float d_ref = reference_depth(depth, timeline.stage_x() * W, 0.88f * H);
        backdrop.parallax = detail::parallax_from_depth(depth, d_ref);
      } else if (back_src->depth) {
        result.notes.push_back("the background's depth is " +
                               std::to_string(back_src->depth->width()) + "x" +
                               std::to_string(back_src->depth->height()) + ", not its image's " +
                               std::to_string(bi.width()) + "x" + std::to_string(bi.height()) +
                               ": depth ignored (no parallax)");
      } else if (timeline.camera_moves()) {
        result.notes.push_back("the background has no depth: camera moves have no parallax");
      }
    } else {
      // A character with no background stands in front of a plain studio grey.
      backdrop.rgba = media::Image(W, H, media::PixelType::u8);
      std::uint8_t* p = backdrop.rgba.u8();
      for (std::size_t i = 0; i < backdrop.rgba.pixel_count(); ++i, p += 4) {
        p[0] = 46;
        p[1] = 47;
        p[2] = 52;
        p[3] = 255;
      }
    }
    backdrop.overscan = detail::overscan_for(timeline, frames, req.fps, W, H);

    // 3. The character layer and its shadow on the ground.
    detail::StageInputs in;
    in.image = &req.image;
    in.background = bg;
    in.width = W;
    in.height = H;
    in.stage_x = timeline.stage_x();
    in.light = light;
    in.light_from_background = light_from_background;
    in.first_pose = timeline.pose_at(0.0);
    // (An opaque still with no background is the backdrop itself: mode none, with a note.)
    const CharacterStage stage = detail::prepare_character(in, result.notes);
    if (bg) detail::bake_shadows(stage, light, backdrop.rgba);

    // 4. Effects.
    detail::EffectsRenderer effects(timeline.effects(), backdrop, light,
                                    lower_half_mean(backdrop.rgba), req.duration_seconds, req.seed);

    // 5. Frames, a few at a time in parallel; progress and cancellation between.
    result.video.fps = media::fps_to_rational(req.fps);
    result.video.frames.resize(frames);
    const bool camera_moves = timeline.camera_moves() || backdrop.overscan != 1.0f;
    std::vector<Pose> poses(frames);
    for (int i = 0; i < frames; ++i) poses[i] = timeline.pose_at(i / req.fps);
    detail::KeyframeRenderer keys(stage, poses);
    auto draw_frame = [&](int i) {
      const double t = i / req.fps;
      const detail::CameraState cam = timeline.camera_at(t);
      media::Image frame(W, H, media::PixelType::u8);
      detail::render_backdrop(backdrop, cam, camera_moves, frame);
      effects.draw_atmosphere(frame, t);
      effects.draw_particles(frame, t, cam, /*near=*/false);
      detail::CharacterFrame what = keys.frame(i);
      what.pose = poses[i];
      detail::draw_character(stage, backdrop, what, cam, frame);
      effects.draw_particles(frame, t, cam, /*near=*/true);
      result.video.frames[i] = std::move(frame);
    };
    const int batch = static_cast<int>(default_pool().size()) + 1;
    for (int start = 0; start < frames; start += batch) {
      ctx.check_cancelled();
      const int end = std::min(frames, start + batch);
      keys.ensure(start, end - 1);
      parallel_for(end - start, 1, [&](std::size_t a, std::size_t b) {
        for (std::size_t k = a; k < b; ++k) {
          ctx.check_cancelled();
          draw_frame(start + static_cast<int>(k));
        }
      });
      for (int i = start; i < end; ++i)
        ctx.progress(static_cast<double>(i + 1) / frames,
                     "frame " + std::to_string(i + 1) + "/" + std::to_string(frames));
    }

    // 6. What was done, for provenance and for callers checking the plan.
    Json prims = Json::array();
    for (const MotionPrimitive& p : plan.primitives)
      prims.push_back(
          {{"kind", p.kind},
           {"intensity", p.intensity == Intensity::subtle
                             ? "subtle"
                             : (p.intensity == Intensity::strong ? "strong" : "normal")},
           {"speed",
            p.speed == Speed::slow ? "slow" : (p.speed == Speed::fast ? "fast" : "normal")},
           {"direction", p.direction}});
    const char* mode = stage.mode == CharacterStage::Mode::rerender
                           ? "rerender"
                           : (stage.mode == CharacterStage::Mode::warp ? "warp" : "none");
    result.metadata = {
        {"primitives", prims},
        {"character_mode", mode},
        {"frames", frames},
        {"width", W},
        {"height", H},
        {"placement",
         {{"foot_x", stage.foot_x}, {"foot_y", stage.foot_y}, {"height", stage.height}}},
        {"overscan", backdrop.overscan},
        {"character_renders", stage.mode == CharacterStage::Mode::rerender ? keys.key_count() : 0},
        {"parallax", !backdrop.parallax.empty()}};
    return result;
  }

 private:
  model::ModelCard card_ = animator_card();
};

}  // namespace

std::shared_ptr<model::Model> make_animator_model() {
  return std::make_shared<AnimatorModel>();
}

}  // namespace reel::studio
