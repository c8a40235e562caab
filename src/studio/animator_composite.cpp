#include "studio/animator_composite.hpp"

#include <algorithm>
#include <cmath>

#include "reel/core/error.hpp"
#include "reel/studio/noise.hpp"
#include "studio/animator_pixels.hpp"

namespace reel::studio::detail {
namespace {

constexpr float kDeg = 3.14159265f / 180.0f;
constexpr float kTurnRef = 35 * kDeg;  // a "normal" head turn
constexpr float kNodRef = 20 * kDeg;

// Alpha bounding box of an image (alpha > ~6%); empty box when fully transparent.
model::Box alpha_bbox(const media::Image& img) {
  model::Box b{img.width(), img.height(), 0, 0};
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      const float a = img.type() == media::PixelType::u8 ? img.u8_pixel(x, y)[3] / 255.0f
                                                         : img.f32_pixel(x, y)[3];
      if (a > 0.06f) {
        b.x0 = std::min(b.x0, x);
        b.y0 = std::min(b.y0, y);
        b.x1 = std::max(b.x1, x + 1);
        b.y1 = std::max(b.y1, y + 1);
      }
    }
  if (b.x1 <= b.x0) return {};
  return b;
}

bool has_transparency(const media::Image& img) {
  return !img.is_opaque();
}

// Nudges the layer's colours towards the scene light so a still made under other
// light does not look pasted in.
void grade_towards(media::Image& premul, const model::Light& light) {
  float env[3];
  for (int c = 0; c < 3; ++c) env[c] = 0.7f * light.color[c] + 0.6f * light.ambient[c];
  const float lum = 0.2126f * env[0] + 0.7152f * env[1] + 0.0722f * env[2];
  if (lum <= 1e-4f) return;
  float tint[3];
  for (int c = 0; c < 3; ++c) tint[c] = lerp(1.0f, std::clamp(env[c] / lum, 0.5f, 1.5f), 0.18f);
  float* p = premul.f32();
  for (std::size_t i = 0; i < premul.pixel_count(); ++i, p += 4)
    for (int c = 0; c < 3; ++c) p[c] = std::min(p[c] * tint[c], p[3]);
}

KeyLayer render_key(const CharacterStage& s, int width, int height, const Pose& pose) {
  const Placement pl{width, height, s.foot_x, s.foot_y, s.height};
  CharacterLayer layer = render_character(s.recipe, pose, pl, s.light);
  KeyLayer k;
  k.x = layer.offset_x;
  k.y = layer.offset_y;
  k.premul = std::move(layer.rgba);
  float* p = k.premul.f32();
  for (std::size_t i = 0; i < k.premul.pixel_count(); ++i, p += 4) {
    const float a = std::clamp(p[3], 0.0f, 1.0f);
    p[0] *= a;
    p[1] *= a;
    p[2] *= a;
    p[3] = a;
  }
  return k;
}

// How far apart two poses are, in units of "about 1.5 pixels of visible motion"
// for a character `height` pixels tall.
float pose_distance(const Pose& p, const Pose& q, float height) {
  const float px = 1.5f;
  const float head_r = std::max(1.0f, 0.07f * height);  // head radius, pixels
  const float arm = std::max(1.0f, 0.35f * height), forearm = std::max(1.0f, 0.17f * height);
  const float leg_swing = 0.45f * height * 0.4f;
  float d = 0;
  d = std::max(d, std::fabs(p.head_yaw - q.head_yaw) * head_r);
  d = std::max(d, std::fabs(p.head_pitch - q.head_pitch) * head_r);
  d = std::max(d, std::fabs(p.head_roll - q.head_roll) * head_r);
  d = std::max(d, std::fabs(p.torso_yaw - q.torso_yaw) * 2 * head_r);
  d = std::max(d, std::fabs(p.torso_lean - q.torso_lean) * 0.5f * height);
  d = std::max(d, std::fabs(p.arm_left_raise - q.arm_left_raise) * arm);
  d = std::max(d, std::fabs(p.arm_right_raise - q.arm_right_raise) * arm);
  d = std::max(d, std::fabs(p.forearm_left_bend - q.forearm_left_bend) * forearm);
  d = std::max(d, std::fabs(p.forearm_right_bend - q.forearm_right_bend) * forearm);
  const float ws = p.walk_amount * std::sin(p.walk_phase) - q.walk_amount * std::sin(q.walk_phase);
  const float wc = p.walk_amount * std::cos(p.walk_phase) - q.walk_amount * std::cos(q.walk_phase);
  d = std::max(d, std::sqrt(ws * ws + wc * wc) * leg_swing);
  d = std::max(d, std::fabs(p.bob - q.bob) * height);
  return d / px;
}

void prepare_rerender(CharacterStage& s, const StageInputs& in) {
  s.mode = CharacterStage::Mode::rerender;
  s.recipe = in.image->rig->recipe;
  s.light = in.light;
  if (!in.background) {
    // Keep the still's own layout: feet and height from its rig boxes.
    const model::Rig& rig = *in.image->rig;
    float top = 1e9f, bottom = -1e9f, cx = in.image->image.width() * 0.5f;
    for (const model::RigPart& p : rig.parts) {
      top = std::min(top, static_cast<float>(p.box.y0));
      bottom = std::max(bottom, static_cast<float>(p.box.y1));
      if (p.parent.empty()) cx = p.pivot_x;
    }
    // Fit the still inside the frame, centred, as warp mode does.
    const float iw = static_cast<float>(in.image->image.width());
    const float ih = static_cast<float>(in.image->image.height());
    const float k = std::min(in.width / iw, in.height / ih);
    const float ox = (in.width - iw * k) * 0.5f, oy = (in.height - ih * k) * 0.5f;
    if (bottom > top) {
      s.foot_x = ox + cx * k;
      s.foot_y = oy + bottom * k;
      s.height = (bottom - top) * k;
    }
  }
  // The first key render doubles as the measure of the drawn width (for the
  // shadow) and as the proof that the recipe renders at all.
  s.first_key = render_key(s, in.width, in.height, KeyframeRenderer::key_pose(in.first_pose));
  const model::Box b = alpha_bbox(s.first_key.premul);
  s.width = b.width() > 0 ? static_cast<float>(b.width()) : s.height * 0.35f;
}

void prepare_warp(CharacterStage& s, const StageInputs& in, const model::Box& bbox) {
  s.mode = CharacterStage::Mode::warp;
  const media::Image& img = in.image->image;
  const int W = in.width, H = in.height;
  float scale;   // still pixels → frame pixels
  float oy = 0;  // still row that lands on the layer's top edge
  if (in.background) {
    scale = s.height / bbox.height();
    const int lw = std::max(1, static_cast<int>(std::lround(bbox.width() * scale)));
    const int lh = std::max(1, static_cast<int>(std::lround(bbox.height() * scale)));
    s.layer = resize_premultiplied(img, bbox.x0, bbox.y0, bbox.width(), bbox.height(), lw, lh);
    s.layer_x = s.foot_x - lw * 0.5f;
    s.layer_y = s.foot_y - lh;
    s.width = static_cast<float>(lw);
    oy = static_cast<float>(bbox.y0);
  } else {
    // No background: the still is the frame, scaled to fit inside it and
    // centred on the backdrop (a different aspect is padded, never stretched
    // or cropped: cropping could cut off the head).
    scale = std::min(static_cast<float>(W) / img.width(), static_cast<float>(H) / img.height());
    const int lw = std::clamp(static_cast<int>(std::lround(img.width() * scale)), 1, W);
    const int lh = std::clamp(static_cast<int>(std::lround(img.height() * scale)), 1, H);
    s.layer = resize_premultiplied(img, 0, 0, img.width(), img.height(), lw, lh);
    s.layer_x = static_cast<float>((W - lw) / 2);
    s.layer_y = static_cast<float>((H - lh) / 2);
    s.foot_x = s.layer_x + (bbox.x0 + bbox.x1) * 0.5f * scale;
    s.foot_y = s.layer_y + bbox.y1 * scale;
    s.height = bbox.height() * scale;
    s.width = bbox.width() * scale;
  }
  if (in.light_from_background) grade_towards(s.layer, in.light);

  // Rows to warp, in layer coordinates: the rig's head box when there is one,
  // else the top 35% of the opaque box (where a head usually is).
  s.region_y0 = (bbox.y0 - oy) * scale;
  s.region_y1 = s.region_y0 + 0.35f * s.height;
  if (in.image->rig) {
    if (const model::RigPart* head = in.image->rig->find("head")) {
      s.region_y0 = (head->box.y0 - oy) * scale;
      s.region_y1 = (head->box.y1 - oy + 0.3f * head->box.height()) * scale;
    }
  }
  s.turn_px = 0.08f * s.width;
  s.nod_px = 0.04f * s.height;
}

}  // namespace

CharacterStage prepare_character(const StageInputs& in, std::vector<std::string>& notes) {
  CharacterStage s;
  s.frame_width = in.width;
  s.frame_height = in.height;
  const media::Image& img = in.image->image;
  if (in.background) {
    s.foot_x = in.stage_x * in.width;
    s.foot_y = 0.88f * in.height;
    s.height = 0.6f * in.height;
  } else if (!has_transparency(img)) {
    // An opaque still with no background is the whole picture: nothing to lift out.
    notes.push_back(
        "the still is opaque and no background was given: it is animated as one layer "
        "(camera and effects only; character motion needs an alpha channel or a "
        "studio-character rig)");
    return s;
  }
  const bool recipe = in.image->rig && !in.image->rig->recipe.is_null();
  if (recipe) {
    try {
      prepare_rerender(s, in);
      return s;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::InvalidInput) throw;
      notes.push_back("the still's rig recipe cannot be re-rendered here (" + e.message() +
                      "): its pixels are warped instead");
      s.mode = CharacterStage::Mode::none;
    }
  }
  const model::Box bbox = alpha_bbox(img);
  if (bbox.width() <= 0) {
    notes.push_back("the still is fully transparent: there is no character to animate");
    return CharacterStage{};
  }
  prepare_warp(s, in, bbox);
  return s;
}

void bake_shadows(const CharacterStage& s, const model::Light& light, media::Image& rgba) {
  if (s.mode == CharacterStage::Mode::none || s.width <= 0) return;
  const int W = rgba.width(), H = rgba.height();
  // Long shadow: away from the light over the ground. Light in front of the
  // character (z > 0) throws the shadow back towards the horizon (up on screen).
  float dx = -light.direction[0], dy = -light.direction[2] * 0.35f;
  const float dl = std::sqrt(dx * dx + dy * dy);
  const float elev = std::max(0.15f, light.direction[1]);
  const float length = dl > 1e-3f ? s.height * std::clamp(0.35f * dl / elev, 0.1f, 0.8f) : 0.0f;
  if (dl > 1e-3f) {
    dx /= dl;
    dy /= dl;
  }
  const float ex = s.foot_x + dx * length, ey = s.foot_y + dy * length;
  const float contact_rx = 0.6f * s.width, contact_ry = std::max(2.0f, 0.09f * s.width);
  const float long_r = 0.22f * s.width;
  const float margin = std::max(contact_rx, long_r) * 1.3f;
  const int x0 = std::max(0, static_cast<int>(std::min(s.foot_x, ex) - margin));
  const int x1 = std::min(W, static_cast<int>(std::max(s.foot_x, ex) + margin) + 1);
  const int y0 = std::max(0, static_cast<int>(std::min(s.foot_y, ey) - margin));
  const int y1 = std::min(H, static_cast<int>(std::max(s.foot_y, ey) + margin) + 1);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      const float px = x + 0.5f, py = y + 0.5f;
      const float u = (px - s.foot_x) / contact_rx, v = (py - s.foot_y) / contact_ry;
      const float contact = 0.55f * (1.0f - smoothstep(0.15f, 1.0f, std::sqrt(u * u + v * v)));
      float cast = 0;
      if (length > 0) {
        // Distance to the foot→tip segment, squashed across it like a ground shadow.
        const float ax = px - s.foot_x, ay = py - s.foot_y;
        const float t = std::clamp((ax * dx + ay * dy) / length, 0.0f, 1.0f);
        const float qx = px - (s.foot_x + dx * length * t), qy = py - (s.foot_y + dy * length * t);
        const float d = std::sqrt(qx * qx + qy * qy) / (long_r * (1.0f - 0.5f * t));
        cast = 0.28f * (1.0f - t * 0.7f) * (1.0f - smoothstep(0.2f, 1.0f, d));
      }
      const float keep = (1.0f - contact) * (1.0f - cast);
      std::uint8_t* p = rgba.u8_pixel(x, y);
      for (int c = 0; c < 3; ++c) p[c] = static_cast<std::uint8_t>(p[c] * keep + 0.5f);
    }
}

KeyframeRenderer::KeyframeRenderer(const CharacterStage& stage, std::vector<Pose> poses)
    : stage_(stage), poses_(std::move(poses)) {
  for (Pose& p : poses_) p = key_pose(p);
  const int n = static_cast<int>(poses_.size());
  if (n == 0) return;
  keys_.push_back(0);
  for (int i = 1; i < n; ++i) {
    if (pose_distance(poses_[i], poses_[keys_.back()], stage_.height) <= 1.0f) continue;
    // Key at the last frame still within reach, or this one when even the next
    // frame is already too far (fast motion: a key per frame).
    const int k = std::max(keys_.back() + 1, i - 1);
    keys_.push_back(k);
    if (k != i && pose_distance(poses_[i], poses_[k], stage_.height) > 1.0f) keys_.push_back(i);
  }
  if (keys_.back() != n - 1) keys_.push_back(n - 1);
}

std::pair<int, int> KeyframeRenderer::segment(int frame) const {
  // keys_ starts at 0 and ends at the last frame, so a frame lies on a key or
  // strictly between two.
  const auto it = std::lower_bound(keys_.begin(), keys_.end(), frame);
  const int b = std::min(static_cast<int>(it - keys_.begin()), static_cast<int>(keys_.size()) - 1);
  if (keys_[b] == frame || b == 0) return {b, b};
  return {b - 1, b};
}

void KeyframeRenderer::ensure(int first, int last) {
  if (stage_.mode != CharacterStage::Mode::rerender || keys_.empty()) return;
  const int lo = segment(first).first, hi = segment(last).second;
  for (auto it = rendered_.begin(); it != rendered_.end();)
    it = it->first < lo ? rendered_.erase(it) : std::next(it);
  for (int k = lo; k <= hi; ++k) {
    if (rendered_.count(k)) continue;
    if (keys_[k] == 0) {
      rendered_[k] = stage_.first_key;
      continue;
    }
    rendered_[k] = render_key(stage_, stage_.frame_width, stage_.frame_height, poses_[keys_[k]]);
  }
}

CharacterFrame KeyframeRenderer::frame(int i) const {
  CharacterFrame f;
  if (stage_.mode != CharacterStage::Mode::rerender || keys_.empty()) return f;
  const auto [a, b] = segment(i);
  f.a = &rendered_.at(a);
  if (b != a) {
    f.b = &rendered_.at(b);
    // Weight by how close the pose is to each key, not by time: the blend then
    // follows the motion's own easing instead of moving at a constant rate per
    // segment (which would hitch where segments of different length meet).
    const float da = pose_distance(poses_[i], poses_[keys_[a]], stage_.height);
    const float db = pose_distance(poses_[i], poses_[keys_[b]], stage_.height);
    f.wb =
        da + db > 1e-6f ? da / (da + db) : static_cast<float>(i - keys_[a]) / (keys_[b] - keys_[a]);
  }
  return f;
}

void draw_character(const CharacterStage& s, const Backdrop& b, const CharacterFrame& what,
                    const CameraState& cam, media::Image& frame) {
  const int W = frame.width(), H = frame.height();
  const Pose& pose = what.pose;
  const bool rerender = s.mode == CharacterStage::Mode::rerender;
  if (s.mode == CharacterStage::Mode::none || (rerender && !what.a)) return;

  // Re-rendered keys already hold the head pose; a warped still moves its head here.
  const float yaw = rerender ? 0.0f : pose.head_yaw / kTurnRef;
  const float pitch = rerender ? 0.0f : pose.head_pitch / kNodRef;
  const float dx_full = yaw * s.turn_px, dy_full = -pitch * s.nod_px;
  const float breath_scale = 1.0f + 0.006f * pose.breath;
  const float bob = rerender ? 0.0f : pose.bob;
  const float inv_scale = 1.0f / (b.overscan * cam.scale(s.parallax));
  const float region_fade = 0.45f * (s.region_y1 - s.region_y0);

  // The source layers and where their top-left corners sit in the still frame.
  const media::Image* la = rerender ? &what.a->premul : &s.layer;
  const float ax0 = rerender ? static_cast<float>(what.a->x) : s.layer_x;
  const float ay0 = rerender ? static_cast<float>(what.a->y) : s.layer_y;
  const media::Image* lb = rerender && what.b ? &what.b->premul : nullptr;
  const float bx0 = lb ? static_cast<float>(what.b->x) : ax0;
  const float by0 = lb ? static_cast<float>(what.b->y) : ay0;
  const float wb = lb ? what.wb : 0.0f;

  // Output rectangle: both layers' boxes under the camera, widened by the warp.
  float x_lo = std::min(ax0, bx0), y_lo = std::min(ay0, by0);
  float x_hi = std::max(ax0 + la->width(), bx0 + (lb ? lb->width() : 0));
  float y_hi = std::max(ay0 + la->height(), by0 + (lb ? lb->height() : 0));
  float px0, py0, px1, py1;
  b.forward(cam, s.parallax, x_lo, y_lo, px0, py0);
  b.forward(cam, s.parallax, x_hi, y_hi, px1, py1);
  const float pad = std::fabs(dx_full) + std::fabs(dy_full) + 0.02f * s.height + 2;
  const int x0 = std::max(0, static_cast<int>(px0 - pad));
  const int x1 = std::min(W, static_cast<int>(px1 + pad) + 1);
  const int y0 = std::max(0, static_cast<int>(py0 - pad));
  const int y1 = std::min(H, static_cast<int>(py1 + pad) + 1);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      // Undo the camera, then breathing (a tiny vertical stretch about the feet),
      // then the head warp; sample the layer(s) there.
      float sx = b.centre_x + (x + 0.5f - b.centre_x - cam.shift_x(s.parallax)) * inv_scale;
      float sy = b.centre_y + (y + 0.5f - b.centre_y - cam.shift_y(s.parallax)) * inv_scale;
      sy = s.foot_y - (s.foot_y - sy) / breath_scale + bob * s.height;
      float pa[4];
      if (rerender) {
        sample_premultiplied(*la, sx - ax0, sy - ay0, pa);
        if (lb) {
          float pb[4];
          sample_premultiplied(*lb, sx - bx0, sy - by0, pb);
          for (int c = 0; c < 4; ++c) pa[c] += (pb[c] - pa[c]) * wb;
        }
      } else {
        float lx = sx - ax0, ly = sy - ay0;
        const float w = 1.0f - smoothstep(s.region_y1 - region_fade, s.region_y1, ly);
        sample_premultiplied(*la, lx - dx_full * w, ly - dy_full * w, pa);
      }
      if (pa[3] <= 1e-4f) continue;
      over_premultiplied(frame.u8_pixel(x, y), pa);
    }
  }
}

}  // namespace reel::studio::detail
