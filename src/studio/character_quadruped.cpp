// Cat and dog: a horizontal body on four legs with a tail, seen three-quarter
// from the front-right, the head turned towards the camera.
#include <algorithm>
#include <cmath>

#include "character_body.hpp"

namespace reel::studio::character {
namespace {

// Turns the body's +x (nose direction) partly towards the camera.
constexpr float kBodyYaw = -0.45f;
// Extra head turn so the face looks at the camera in the rest pose.
constexpr float kHeadYaw = -0.8f;

}  // namespace

void build_quadruped(const Recipe& r, const Pose& pose, BodyBuilder& bb) {
  const bool cat = r.archetype == Archetype::cat;
  const float w = r.width;
  const float hd = r.head;
  // Rest layout in body space (nose towards +x, character's right side at +z).
  const float body_y = cat ? 0.43f : 0.47f;
  const float half_len = cat ? 0.3f : 0.32f;
  const Vec3 neck{half_len * 0.85f, body_y + 0.1f, 0};
  const Vec3 head_c{half_len + 0.06f, cat ? 0.72f : 0.75f, 0};
  const float leg_z = 0.085f * w;

  Xform root{rot_y(kBodyYaw + pose.torso_yaw), {0, pose.bob, 0}};
  Xform body_x = root * about({0, body_y, 0}, rot_z(-pose.torso_lean * 0.5f));
  bb.set_xform(body_x);
  int torso = bb.part("torso", "", {0, body_y, 0});
  float br = 1 + 0.03f * pose.breath;
  auto& trunk = bb.ellipsoid(torso, Material::fur, {0, body_y, 0},
                             {half_len, 0.14f * w * br, 0.13f * w * br});
  if (cat) trunk.decal = Decal::tabby;
  bb.ellipsoid(torso, Material::fur, {half_len * 0.6f, body_y + 0.01f, 0},
               {0.15f, 0.16f * w * br, 0.14f * w}, 0.08f);
  bb.ellipsoid(torso, Material::fur_light, {half_len * 0.75f, body_y - 0.02f, 0},
               {0.1f, 0.13f * w, 0.11f * w}, 0.06f);
  auto& haunch = bb.ellipsoid(torso, Material::fur, {-half_len * 0.6f, body_y, 0},
                              {0.15f, 0.15f * w, 0.14f * w}, 0.08f);
  if (cat) haunch.decal = Decal::tabby;
  bb.cone(torso, Material::fur, {half_len * 0.7f, body_y + 0.05f, 0}, neck + Vec3{0.05f, 0.08f, 0},
          0.1f * w, 0.085f, 0.06f);
  if (!cat) {
    Vec3 a{half_len * 0.7f, body_y + 0.05f, 0}, b = neck + Vec3{0.05f, 0.08f, 0};
    bb.torus(torso, Material::accent, vmix(a, b, 0.72f), 0.08f, 0.013f, align_y(normalize(b - a)));
  }

  // Head: rotated towards the camera, then by the pose about the neck.
  Mat3 pose_rot = rot_y(pose.head_yaw) * rot_x(-pose.head_pitch) * rot_z(-pose.head_roll);
  Vec3 neck_w = body_x.apply(neck);
  Xform head_x = about(neck_w, pose_rot) * body_x * about(neck, rot_y(kHeadYaw));
  bb.set_xform(head_x);
  int head = bb.part("head", "torso", neck);
  Vec3 H = head_c;
  float s = hd;
  auto eye_rot = [](float side) { return align_z(normalize(Vec3{1, 0.05f, side * 0.45f})); };
  if (cat) {
    bb.ellipsoid(head, Material::fur, H, Vec3{0.12f, 0.11f, 0.13f} * s);
    for (int i = 0; i < 2; ++i) {
      float sd = i == 0 ? 1.0f : -1.0f;
      bb.ellipsoid(head, Material::fur_light, H + Vec3{0.09f, -0.045f, sd * 0.03f} * s,
                   Vec3{0.05f, 0.04f, 0.045f} * s, 0.02f);
      bb.ellipsoid(head, Material::eye, H + Vec3{0.095f, 0.02f, sd * 0.05f} * s,
                   Vec3{0.022f, 0.026f, 0.026f} * s, 0, eye_rot(sd));
      // Pointed ears, tilted outwards.
      Vec3 base = H + Vec3{-0.01f, 0.07f, sd * 0.07f} * s;
      bb.cone(head, Material::fur, base, base + Vec3{0.0f, 0.11f, sd * 0.03f} * s, 0.045f * s,
              0.006f * s, 0.01f);
    }
    bb.ellipsoid(head, Material::dark, H + Vec3{0.135f, -0.01f, 0} * s,
                 Vec3{0.014f, 0.011f, 0.018f} * s);
    bb.ellipsoid(head, Material::fur_light, H + Vec3{0.07f, -0.085f, 0} * s,
                 Vec3{0.04f, 0.025f, 0.04f} * s, 0.015f);
  } else {
    bb.ellipsoid(head, Material::fur, H, Vec3{0.115f, 0.11f, 0.115f} * s);
    bb.ellipsoid(head, Material::fur_light, H + Vec3{0.12f, -0.045f, 0} * s,
                 Vec3{0.1f, 0.055f, 0.06f} * s, 0.04f);
    bb.ellipsoid(head, Material::dark, H + Vec3{0.215f, -0.025f, 0} * s,
                 Vec3{0.022f, 0.02f, 0.03f} * s);
    bb.ellipsoid(head, Material::dark, H + Vec3{0.15f, -0.09f, 0} * s,
                 Vec3{0.05f, 0.008f, 0.035f} * s);
    for (int i = 0; i < 2; ++i) {
      float sd = i == 0 ? 1.0f : -1.0f;
      bb.ellipsoid(head, Material::eye, H + Vec3{0.085f, 0.03f, sd * 0.048f} * s,
                   Vec3{0.018f, 0.02f, 0.02f} * s, 0, eye_rot(sd));
      if (r.variant < 2) {
        // Floppy ears hanging by the cheeks.
        bb.ellipsoid(head, Material::fur, H + Vec3{-0.01f, 0.0f, sd * 0.105f} * s,
                     Vec3{0.045f, 0.1f, 0.022f} * s, 0.015f, rot_x(sd * 0.25f));
      } else {
        Vec3 base = H + Vec3{-0.02f, 0.07f, sd * 0.06f} * s;
        bb.cone(head, Material::fur, base, base + Vec3{0.01f, 0.11f, sd * 0.025f} * s, 0.04f * s,
                0.01f * s, 0.01f);
      }
    }
  }

  // Legs: front pair under the chest, back pair under the haunch; walking swings
  // diagonal pairs together.
  static const char* kNames[4] = {"leg_front_right", "leg_front_left", "leg_back_right",
                                  "leg_back_left"};
  for (int i = 0; i < 4; ++i) {
    bool front = i < 2;
    float sd = (i % 2 == 0) ? 1.0f : -1.0f;  // +z = right side, nearer the camera
    float lx = front ? half_len * 0.68f : -half_len * 0.62f;
    float phase = pose.walk_phase + ((i == 0 || i == 3) ? 0.0f : 3.14159f);
    float swing = 0.4f * pose.walk_amount * std::sin(phase);
    float lift = front ? (i == 0 ? pose.arm_right_raise : pose.arm_left_raise) : 0.0f;
    Vec3 hip{lx, body_y - 0.02f, sd * leg_z};
    Xform leg_x = body_x * about(hip, rot_z(swing + lift * 0.8f));
    bb.set_xform(leg_x);
    int part = bb.part(kNames[i], "torso", hip);
    float thick = (front ? 0.045f : 0.06f) * w;
    Vec3 knee = hip + Vec3{front ? 0.0f : 0.04f, -(body_y - 0.2f), 0};
    Vec3 paw{lx + (front ? 0.01f : -0.01f), 0.035f, sd * leg_z};
    float bend = front ? -lift * 1.2f : 0.0f;
    bb.cone(part, Material::fur, hip + Vec3{0, 0.05f, 0}, knee, thick, thick * 0.75f, 0.05f);
    Xform low_x = leg_x * about(knee, rot_z(bend));
    bb.set_xform(low_x);
    bb.cone(part, Material::fur, knee, paw + Vec3{0, 0.01f, 0}, thick * 0.75f, thick * 0.65f,
            0.02f);
    bb.ellipsoid(part, cat ? Material::fur_light : Material::fur, paw + Vec3{0.02f, -0.008f, 0},
                 {0.045f * w, 0.028f, 0.038f * w}, 0.02f);
  }

  // Tail: a tapering chain that wags with the walk phase.
  bb.set_xform(body_x);
  Vec3 base{-half_len * 0.95f, body_y + 0.05f, 0};
  int tail = bb.part("tail", "torso", base);
  float wag = 0.25f * std::sin(pose.walk_phase * 2) * pose.walk_amount + 0.05f * pose.breath;
  Vec3 pts[5];
  pts[0] = base;
  float ang = cat ? 2.2f : 2.4f, seg = cat ? 0.12f : 0.1f;
  for (int k = 1; k < 5; ++k) {
    ang -= cat ? 0.28f : 0.12f;
    float lat = wag * k;
    pts[k] = pts[k - 1] + Vec3{std::cos(ang) * seg, std::sin(ang) * seg, lat * 0.05f};
    if (!cat && k >= 3) break;
  }
  int segs = cat ? 4 : 2;
  for (int k = 0; k < segs; ++k) {
    float ra = (cat ? 0.032f : 0.038f) * (1 - 0.15f * k), rb = ra * 0.85f;
    bb.cone(tail, Material::fur, pts[k], pts[k + 1], ra, rb, k == 0 ? 0.04f : 0.01f);
  }
}

}  // namespace reel::studio::character
