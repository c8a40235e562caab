// Humanoid skeletons (astronaut, robot, woman, man) and the primitives that dress
// them. Rest positions are written in character space for a standing figure; each
// bone's pose is a rotation about its pivot, applied down the hierarchy
// pelvis → torso → head / arms, pelvis → legs.
#include <algorithm>
#include <cmath>

#include "character_body.hpp"

namespace reel::studio::character {
namespace {

struct Skeleton {
  float hip_y, hip_x, knee_y, ankle_y, waist_y, chest_y, shoulder_y, shoulder_x, neck_y, head_y;
  float head_r;              // helmet radius / head half-height
  float upper_arm, forearm;  // limb radii
  float thigh, calf;
  Vec3 elbow_off, wrist_off;  // rest offsets for the left arm (mirrored for the right)
};

Skeleton skeleton_for(const Recipe& r, float breath) {
  Skeleton s{};
  float w = r.width, sh = r.shoulders;
  switch (r.archetype) {
    case Archetype::astronaut:
      s = {0.46f,
           0.08f,
           0.255f,
           0.08f,
           0.53f,
           0.63f,
           0.705f,
           0.172f,
           0.775f,
           0.868f,
           0.11f,
           0.058f,
           0.05f,
           0.07f,
           0.06f,
           {0.03f, -0.15f, 0.0f},
           {0.012f, -0.13f, 0.03f}};
      if (r.female) s.hip_x *= 1.02f;
      break;
    case Archetype::robot:
      s = {0.46f,
           0.075f,
           0.255f,
           0.075f,
           0.52f,
           0.63f,
           0.7f,
           0.17f,
           0.79f,
           0.885f,
           0.075f,
           0.04f,
           0.042f,
           0.05f,
           0.05f,
           {0.025f, -0.15f, 0.0f},
           {0.01f, -0.13f, 0.03f}};
      break;
    default: {
      bool fem = r.archetype == Archetype::woman;
      s = {0.52f,
           fem ? 0.058f : 0.055f,
           0.285f,
           0.055f,
           0.6f,
           0.71f,
           0.815f,
           fem ? 0.1f : 0.115f,
           0.855f,
           0.925f,
           0.076f,
           0.034f,
           0.027f,
           fem ? 0.052f : 0.055f,
           0.037f,
           {0.02f, -0.17f, -0.01f},
           {0.006f, -0.15f, 0.025f}};
      if (fem) s.upper_arm *= 0.88f, s.forearm *= 0.88f, s.calf *= 0.92f;
      break;
    }
  }
  s.shoulder_x *= sh;
  s.hip_x *= std::sqrt(w);
  s.upper_arm *= w, s.forearm *= w, s.thigh *= w, s.calf *= w;
  s.knee_y = s.ankle_y + (s.knee_y - s.ankle_y) * r.legs;
  s.head_r *= r.head;
  // Breathing lifts the shoulders a little; the chest swells in the builders.
  s.shoulder_y += 0.006f * breath;
  return s;
}

// Everything the dressing functions need about the posed skeleton.
struct Rigged {
  Skeleton s;
  Xform pelvis, torso, head, upper_arm[2], forearm[2], thigh[2], shin[2];
  int part_pelvis, part_torso, part_head, part_arm[2], part_forearm[2], part_leg[2], part_shin[2];
  Vec3 shoulder[2], elbow[2], wrist[2], hip[2], knee[2], ankle[2];
};

float side_of(int i) {
  return i == 0 ? 1.0f : -1.0f;
}  // 0 = character's left = viewer's +x

Rigged rig_skeleton(const Recipe& r, const Pose& pose, BodyBuilder& bb) {
  Rigged g;
  g.s = skeleton_for(r, pose.breath);
  const Skeleton& s = g.s;
  g.pelvis = Xform{rot_y(pose.torso_yaw), {0, pose.bob, 0}};
  g.torso = g.pelvis * about({0, s.hip_y, 0}, rot_z(-pose.torso_lean));
  Mat3 head_rot = rot_y(pose.head_yaw) * rot_x(-pose.head_pitch) * rot_z(-pose.head_roll);
  g.head = g.torso * about({0, s.neck_y, 0}, head_rot);

  bb.set_xform(g.pelvis);
  g.part_pelvis = bb.part("pelvis", "", {0, s.hip_y, 0});
  bb.set_xform(g.torso);
  g.part_torso = bb.part("torso", "pelvis", {0, s.waist_y, 0});
  bb.set_xform(g.head);
  g.part_head = bb.part("head", "torso", {0, s.neck_y, 0});

  static const char* kSide[2] = {"left", "right"};
  float swing = 0.45f * pose.walk_amount * std::sin(pose.walk_phase);
  for (int i = 0; i < 2; ++i) {
    float sd = side_of(i);
    float raise = i == 0 ? pose.arm_left_raise : pose.arm_right_raise;
    float bend = i == 0 ? pose.forearm_left_bend : pose.forearm_right_bend;
    float arm_swing = (i == 0 ? swing : -swing) * 0.8f;
    g.shoulder[i] = {sd * s.shoulder_x, s.shoulder_y, 0};
    g.elbow[i] = g.shoulder[i] + Vec3{sd * s.elbow_off.x, s.elbow_off.y, s.elbow_off.z};
    g.wrist[i] = g.elbow[i] + Vec3{sd * s.wrist_off.x, s.wrist_off.y, s.wrist_off.z};
    g.upper_arm[i] = g.torso * about(g.shoulder[i], rot_z(sd * raise) * rot_x(arm_swing));
    // The elbow folds forward while the arm hangs and upwards once it is raised
    // sideways, so a raised arm with a bent elbow reads as a wave from the front.
    float up = std::clamp(std::fabs(raise) / 1.4f, 0.0f, 1.0f);
    Vec3 axis = normalize(vmix(Vec3{-1, 0, 0}, Vec3{0, 0, sd}, up));
    g.forearm[i] = g.upper_arm[i] * about(g.elbow[i], rot_axis(axis, bend));
    g.hip[i] = {sd * s.hip_x, s.hip_y - 0.02f, 0};
    g.knee[i] = {sd * (s.hip_x + 0.006f), s.knee_y, 0.01f};
    g.ankle[i] = {sd * (s.hip_x + 0.01f), s.ankle_y, 0};
    float leg_swing = i == 0 ? swing : -swing;
    float knee_bend = 0.7f * pose.walk_amount *
                      std::max(0.0f, std::sin(pose.walk_phase + (i == 0 ? 0.0f : 3.14159f) - 1.2f));
    g.thigh[i] = g.pelvis * about(g.hip[i], rot_x(-leg_swing));
    g.shin[i] = g.thigh[i] * about(g.knee[i], rot_x(knee_bend));

    std::string side = kSide[i];
    bb.set_xform(g.upper_arm[i]);
    g.part_arm[i] = bb.part("arm_" + side, "torso", g.shoulder[i]);
    bb.set_xform(g.forearm[i]);
    g.part_forearm[i] = bb.part("forearm_" + side, "arm_" + side, g.elbow[i]);
    bb.set_xform(g.thigh[i]);
    g.part_leg[i] = bb.part("leg_" + side, "pelvis", g.hip[i]);
    bb.set_xform(g.shin[i]);
    g.part_shin[i] = bb.part("shin_" + side, "leg_" + side, g.knee[i]);
  }
  return g;
}

void dress_astronaut(const Recipe& r, const Pose& pose, const Rigged& g, BodyBuilder& bb) {
  const Skeleton& s = g.s;
  float w = r.width, br = 1 + 0.03f * pose.breath;
  bool det = r.detailed;
  // Pelvis: brief section and the waist bearing.
  bb.set_xform(g.pelvis);
  bb.ellipsoid(g.part_pelvis, Material::suit, {0, s.hip_y + 0.015f, 0},
               {0.14f * w, 0.08f, 0.1f * w});
  // Torso: hard upper torso, backpack, neck ring, chest box.
  bb.set_xform(g.torso);
  bb.ellipsoid(g.part_torso, Material::suit, {0, s.waist_y, 0}, {0.13f * w, 0.08f, 0.098f * w},
               0.05f);
  auto& chest = bb.ellipsoid(g.part_torso, Material::suit, {0, s.chest_y, 0},
                             {0.155f * w * r.shoulders, 0.15f * br, 0.112f * w * br}, 0.06f);
  if (det) chest.decal = Decal::torso_seams;
  bb.ellipsoid(g.part_torso, Material::suit_dark, {0, s.waist_y - 0.035f, 0},
               {0.137f * w, 0.014f, 0.102f * w});
  auto& pack = bb.box(g.part_torso, Material::backpack, {0, s.chest_y + 0.01f, -0.15f * w},
                      {0.178f * w * r.shoulders, 0.175f, 0.075f}, 0.035f);
  pack.decal = Decal::vents;
  bb.cylinder(g.part_torso, Material::suit_dark, {0, s.neck_y - 0.008f, 0}, 0.085f, 0.016f, 0.008f);
  auto& cbox = bb.box(g.part_torso, Material::control_box, {0, s.chest_y - 0.02f, 0.104f * w * br},
                      {0.07f, 0.042f, 0.03f}, 0.01f);
  if (det) cbox.decal = Decal::buttons;
  if (det) {
    // Umbilical hoses from the chest box round to the pack.
    for (int i = 0; i < 2; ++i) {
      float sd = side_of(i);
      Material m = (i == 0) == (r.hose_side > 0) ? Material::accent : Material::suit_dark;
      Vec3 a{sd * 0.06f, s.chest_y - 0.035f, 0.12f * w},
          b{sd * 0.145f * w, s.chest_y - 0.07f, 0.09f * w},
          c{sd * 0.18f * w, s.chest_y - 0.02f, -0.06f};
      bb.cone(g.part_torso, m, a, b, 0.011f, 0.011f);
      bb.cone(g.part_torso, m, b, c, 0.011f, 0.011f);
    }
  }
  // Head: helmet shell and the gold visor bulging from its front.
  bb.set_xform(g.head);
  float R = s.head_r;
  bb.ellipsoid(g.part_head, Material::suit, {0, s.head_y, -0.005f}, {R, R * 1.03f, R});
  bb.ellipsoid(g.part_head, Material::visor, {0, s.head_y - 0.008f, 0.02f},
               {R * 0.87f, R * 0.76f, R * 0.93f});
  if (det) {
    for (int i = 0; i < 2; ++i) {
      float sd = side_of(i);
      bb.cylinder(g.part_head, Material::suit_dark, {sd * R * 0.93f, s.head_y + R * 0.45f, 0.01f},
                  0.018f, 0.025f, 0.006f, rot_x(1.5708f));
    }
  }
  if (r.female && r.hair_length > 0.6f)
    bb.ellipsoid(g.part_head, Material::hair, {0, s.head_y + 0.01f, -0.01f},
                 {R * 0.7f, R * 0.7f, R * 0.8f});
  // Arms.
  for (int i = 0; i < 2; ++i) {
    float sd = side_of(i);
    bb.set_xform(g.upper_arm[i]);
    bb.ellipsoid(g.part_arm[i], Material::suit, g.shoulder[i], {0.072f * w, 0.072f, 0.072f * w},
                 0.02f);
    auto& ua = bb.cone(g.part_arm[i], Material::suit, g.shoulder[i] + Vec3{0, -0.03f, 0},
                       g.elbow[i], s.upper_arm, s.upper_arm * 0.9f, 0.02f);
    if (det) ua.decal = Decal::limb_seams;
    bb.torus(g.part_arm[i], Material::suit_dark, g.shoulder[i] + Vec3{sd * 0.012f, -0.045f, 0},
             s.upper_arm * 0.98f, 0.008f, align_y(normalize(g.elbow[i] - g.shoulder[i])));
    if (det && r.patch_side == (i == 0 ? 1 : -1)) {
      Vec3 n = normalize(Vec3{sd * 0.45f, 0, 0.9f});
      bb.ellipsoid(g.part_arm[i], Material::accent,
                   g.shoulder[i] + Vec3{0, -0.075f, 0} + n * (s.upper_arm * 0.95f),
                   {0.024f, 0.028f, 0.006f}, 0, align_z(n));
    }
    bb.set_xform(g.forearm[i]);
    auto& fa = bb.cone(g.part_forearm[i], Material::suit, g.elbow[i], g.wrist[i], s.forearm,
                       s.forearm * 0.92f, 0.015f);
    if (det) fa.decal = Decal::limb_seams;
    Vec3 dir = normalize(g.wrist[i] - g.elbow[i]);
    bb.cylinder(g.part_forearm[i], Material::suit_dark, g.wrist[i], s.forearm * 0.98f, 0.012f,
                0.005f, align_y(dir));
    Vec3 hand = g.wrist[i] + dir * 0.05f;
    bb.ellipsoid(g.part_forearm[i], Material::suit_dark, hand, {0.036f, 0.05f, 0.03f}, 0.01f,
                 align_y(dir));
    bb.ellipsoid(g.part_forearm[i], Material::suit_dark, hand + Vec3{-sd * 0.03f, 0.0f, 0.018f},
                 {0.012f, 0.028f, 0.012f}, 0.008f, rot_z(sd * 0.5f));
  }
  // Legs and boots.
  for (int i = 0; i < 2; ++i) {
    float sd = side_of(i);
    bb.set_xform(g.thigh[i]);
    auto& th = bb.cone(g.part_leg[i], Material::suit, g.hip[i], g.knee[i], s.thigh, s.thigh * 0.88f,
                       0.03f);
    th.decal = det ? Decal::stripe : Decal::none;
    bb.set_xform(g.shin[i]);
    auto& sh = bb.cone(g.part_shin[i], Material::suit, g.knee[i], g.ankle[i] + Vec3{0, 0.02f, 0},
                       s.calf, s.calf * 0.95f, 0.02f);
    if (det) sh.decal = Decal::limb_seams;
    if (det)
      bb.ellipsoid(g.part_shin[i], Material::suit_dark, g.knee[i] + Vec3{0, 0, s.calf * 0.75f},
                   {0.038f, 0.04f, 0.02f}, 0.01f);
    Vec3 boot{sd * (s.hip_x + 0.012f), 0.05f, 0.028f};
    bb.box(g.part_shin[i], Material::shoe, boot, {0.058f * w, 0.05f, 0.088f}, 0.035f, 0.02f);
    bb.box(g.part_shin[i], Material::dark, boot + Vec3{0, -0.038f, 0}, {0.06f * w, 0.012f, 0.09f},
           0.01f);
  }
}

void dress_robot(const Recipe& r, const Pose& pose, const Rigged& g, BodyBuilder& bb) {
  const Skeleton& s = g.s;
  float w = r.width, br = 1 + 0.02f * pose.breath;
  bb.set_xform(g.pelvis);
  auto& pel = bb.box(g.part_pelvis, Material::metal, {0, s.hip_y + 0.01f, 0},
                     {0.12f * w, 0.055f, 0.08f * w}, 0.03f);
  pel.decal = Decal::panel_lines;
  bb.set_xform(g.torso);
  bb.cylinder(g.part_torso, Material::metal_dark, {0, s.waist_y - 0.01f, 0}, 0.085f * w, 0.05f,
              0.02f);
  auto& chest = bb.box(g.part_torso, Material::metal, {0, s.chest_y, 0},
                       {0.15f * w * r.shoulders, 0.13f * br, 0.095f * w * br}, 0.045f);
  chest.decal = Decal::panel_lines;
  bb.box(g.part_torso, Material::metal_dark, {0, s.chest_y + 0.01f, 0.09f * w * br},
         {0.07f, 0.05f, 0.015f}, 0.012f);
  for (int k = 0; k < 3; ++k)
    bb.ellipsoid(g.part_torso, k == 1 ? Material::glow : Material::accent,
                 {(k - 1) * 0.035f, s.chest_y + 0.01f, 0.104f * w * br}, {0.012f, 0.012f, 0.007f});
  bb.cylinder(g.part_torso, Material::metal_dark, {0, s.neck_y - 0.01f, 0}, 0.04f, 0.04f, 0.01f);
  bb.set_xform(g.head);
  float hr = s.head_r;
  auto& head =
      bb.box(g.part_head, Material::metal, {0, s.head_y, 0}, {hr * 1.12f, hr, hr * 1.05f}, 0.028f);
  head.decal = Decal::panel_lines;
  bb.box(g.part_head, Material::dark, {0, s.head_y + 0.008f, hr * 1.0f},
         {hr * 0.9f, hr * 0.3f, 0.012f}, 0.012f);
  bb.box(g.part_head, Material::glow, {0, s.head_y + 0.008f, hr + 0.012f},
         {hr * 0.75f, hr * 0.12f, 0.006f}, 0.005f);
  bb.box(g.part_head, Material::metal_dark, {0, s.head_y - hr * 0.55f, hr * 1.02f},
         {hr * 0.5f, 0.006f, 0.01f}, 0.004f);
  for (int i = 0; i < 2; ++i)
    bb.cylinder(g.part_head, Material::metal_dark, {side_of(i) * hr * 1.15f, s.head_y, 0}, 0.028f,
                0.012f, 0.005f, rot_z(1.5708f));
  float ant_x = r.variant % 2 ? 0.0f : hr * 0.6f;
  bb.cone(g.part_head, Material::metal_dark, {ant_x, s.head_y + hr, 0},
          {ant_x, s.head_y + hr + 0.055f, 0}, 0.006f, 0.004f);
  bb.ellipsoid(g.part_head, Material::accent, {ant_x, s.head_y + hr + 0.06f, 0},
               {0.012f, 0.012f, 0.012f});
  for (int i = 0; i < 2; ++i) {
    float sd = side_of(i);
    bb.set_xform(g.upper_arm[i]);
    bb.ellipsoid(g.part_arm[i], Material::metal_dark, g.shoulder[i], {0.058f, 0.058f, 0.058f});
    auto& ua = bb.cone(g.part_arm[i], Material::metal, g.shoulder[i] + Vec3{sd * 0.01f, -0.02f, 0},
                       g.elbow[i], s.upper_arm, s.upper_arm * 0.9f);
    ua.decal = Decal::panel_lines;
    bb.set_xform(g.forearm[i]);
    bb.ellipsoid(g.part_forearm[i], Material::metal_dark, g.elbow[i], {0.045f, 0.045f, 0.045f});
    Vec3 dir = normalize(g.wrist[i] - g.elbow[i]);
    auto& fa = bb.cone(g.part_forearm[i], Material::metal, g.elbow[i], g.wrist[i], s.forearm * 0.9f,
                       s.forearm * 1.15f);
    fa.decal = Decal::panel_lines;
    Vec3 hand = g.wrist[i] + dir * 0.045f;
    bb.box(g.part_forearm[i], Material::metal_dark, hand, {0.03f, 0.04f, 0.022f}, 0.012f, 0,
           align_y(dir));
  }
  for (int i = 0; i < 2; ++i) {
    float sd = side_of(i);
    bb.set_xform(g.thigh[i]);
    bb.ellipsoid(g.part_leg[i], Material::metal_dark, g.hip[i], {0.05f, 0.05f, 0.05f});
    auto& th =
        bb.cone(g.part_leg[i], Material::metal, g.hip[i], g.knee[i], s.thigh, s.thigh * 0.85f);
    th.decal = Decal::panel_lines;
    bb.set_xform(g.shin[i]);
    bb.ellipsoid(g.part_shin[i], Material::metal_dark, g.knee[i], {0.05f, 0.05f, 0.05f});
    auto& sh = bb.cone(g.part_shin[i], Material::metal, g.knee[i], g.ankle[i] + Vec3{0, 0.03f, 0},
                       s.calf * 0.9f, s.calf * 1.15f);
    sh.decal = Decal::panel_lines;
    bb.box(g.part_shin[i], Material::metal_dark, {sd * (s.hip_x + 0.01f), 0.03f, 0.025f},
           {0.055f * w, 0.03f, 0.085f}, 0.02f);
  }
}

void dress_human(const Recipe& r, const Pose& pose, const Rigged& g, BodyBuilder& bb) {
  const Skeleton& s = g.s;
  bool fem = r.archetype == Archetype::woman;
  float w = r.width, br = 1 + 0.03f * pose.breath;
  bb.set_xform(g.pelvis);
  bb.ellipsoid(g.part_pelvis, r.dress ? Material::cloth_top : Material::cloth_bottom,
               {0, s.hip_y + 0.02f, 0}, {(fem ? 0.105f : 0.1f) * w, 0.075f, 0.07f * w});
  bb.set_xform(g.torso);
  bb.ellipsoid(g.part_torso, Material::cloth_top, {0, s.waist_y, 0},
               {(fem ? 0.08f : 0.095f) * w, 0.1f, 0.064f * w}, 0.04f);
  bb.ellipsoid(g.part_torso, Material::cloth_top, {0, s.chest_y, 0},
               {(fem ? 0.1f : 0.118f) * w * r.shoulders, 0.11f * br, 0.072f * w * br}, 0.05f);
  bb.cone(g.part_torso, Material::cloth_top, g.shoulder[0] + Vec3{-0.02f, -0.028f, 0},
          g.shoulder[1] + Vec3{0.02f, -0.028f, 0}, 0.034f * w, 0.034f * w, 0.05f);
  if (fem)
    for (int i = 0; i < 2; ++i)
      bb.ellipsoid(g.part_torso, Material::cloth_top,
                   {side_of(i) * 0.04f, s.chest_y - 0.02f, 0.038f * w}, {0.036f, 0.034f, 0.034f},
                   0.04f);
  if (!r.dress)
    bb.ellipsoid(g.part_torso, Material::accent, {0, s.hip_y + 0.075f, 0},
                 {0.1f * w, 0.012f, 0.07f * w});
  bb.cone(g.part_torso, Material::skin, {0, s.neck_y - 0.03f, 0}, {0, s.head_y - 0.05f, 0.0f},
          0.026f, 0.024f, 0.01f);
  // Head.
  bb.set_xform(g.head);
  float hh = s.head_r;  // half-height
  float hy = s.head_y;
  bb.ellipsoid(g.part_head, Material::skin, {0, hy, 0}, {hh * 0.78f, hh, hh * 0.9f});
  bb.ellipsoid(g.part_head, Material::skin, {0, hy - hh * 0.5f, hh * 0.2f},
               {hh * 0.58f, hh * 0.5f, hh * 0.65f}, 0.025f);
  bb.ellipsoid(g.part_head, Material::skin, {0, hy - hh * 0.12f, hh * 0.86f},
               {hh * 0.13f, hh * 0.24f, hh * 0.18f}, 0.01f);
  for (int i = 0; i < 2; ++i) {
    float sd = side_of(i);
    // Eyes sit proud of the face so whites, iris and pupil all read.
    bb.ellipsoid(g.part_head, Material::eye, {sd * hh * 0.3f, hy + hh * 0.06f, hh * 0.72f},
                 {hh * 0.15f, hh * 0.12f, hh * 0.12f});
    bb.ellipsoid(g.part_head, Material::hair, {sd * hh * 0.32f, hy + hh * 0.36f, hh * 0.78f},
                 {hh * 0.19f, hh * 0.045f, hh * 0.06f}, 0, rot_z(sd * 0.12f));
    bb.ellipsoid(g.part_head, Material::skin, {sd * hh * 0.78f, hy, -hh * 0.05f},
                 {hh * 0.12f, hh * 0.25f, hh * 0.18f}, 0.01f);
  }
  bb.ellipsoid(g.part_head, Material::lips, {0, hy - hh * 0.5f, hh * 0.74f},
               {hh * 0.2f, hh * 0.055f, hh * 0.08f});
  // Hair: a cap over the crown and back, longer hair falls behind the shoulders.
  bb.ellipsoid(g.part_head, Material::hair, {0, hy + hh * 0.2f, -hh * 0.12f},
               {hh * 0.86f, hh * 0.92f, hh * 0.95f});
  bb.ellipsoid(g.part_head, Material::hair, {0, hy + hh * 0.62f, hh * 0.25f},
               {hh * 0.72f, hh * 0.42f, hh * 0.6f}, 0.02f);
  if (r.hair_length > 0.4f) {
    float L = r.hair_length;
    bb.ellipsoid(g.part_head, Material::hair, {0, hy - hh * (0.3f + 0.8f * L), -hh * 0.45f},
                 {hh * 0.9f, hh * (0.7f + 0.6f * L), hh * 0.45f}, 0.03f);
    for (int i = 0; i < 2; ++i)
      bb.ellipsoid(g.part_head, Material::hair,
                   {side_of(i) * hh * 0.75f, hy - hh * (0.2f + 0.5f * L), 0.0f},
                   {hh * 0.22f, hh * (0.6f + 0.45f * L), hh * 0.45f}, 0.02f);
  }
  bool long_sleeves = r.variant % 2 == 1 && !r.dress;
  for (int i = 0; i < 2; ++i) {
    float sd = side_of(i);
    bb.set_xform(g.upper_arm[i]);
    bb.cone(g.part_arm[i], Material::cloth_top, g.shoulder[i] + Vec3{0, -0.018f, 0}, g.elbow[i],
            s.upper_arm * 1.05f, s.upper_arm * 0.92f, 0.02f);
    bb.set_xform(g.forearm[i]);
    Vec3 dir = normalize(g.wrist[i] - g.elbow[i]);
    bb.cone(g.part_forearm[i], long_sleeves ? Material::cloth_top : Material::skin, g.elbow[i],
            g.wrist[i], s.forearm, s.forearm * 0.8f, 0.01f);
    bb.ellipsoid(g.part_forearm[i], Material::skin, g.wrist[i] + dir * 0.035f,
                 {0.02f, 0.04f, 0.014f}, 0.01f, align_y(dir) * rot_y(sd * 0.3f));
  }
  for (int i = 0; i < 2; ++i) {
    float sd = side_of(i);
    Material leg = r.dress ? Material::skin : Material::cloth_bottom;
    float shrink = r.dress ? 0.75f : 1.0f;
    bb.set_xform(g.thigh[i]);
    bb.cone(g.part_leg[i], leg, g.hip[i], g.knee[i], s.thigh * shrink, s.thigh * 0.78f * shrink,
            0.03f);
    bb.set_xform(g.shin[i]);
    bb.cone(g.part_shin[i], leg, g.knee[i], g.ankle[i] + Vec3{0, 0.02f, 0}, s.calf * shrink,
            s.calf * 0.8f * shrink, 0.015f);
    bb.box(g.part_shin[i], Material::shoe, {sd * (s.hip_x + 0.012f), 0.025f, 0.03f},
           {0.034f, 0.025f, 0.07f}, 0.022f, 0.01f);
  }
  if (r.dress) {
    bb.set_xform(g.pelvis);
    // An A-line skirt from the waist to just below the knee.
    float top = s.hip_y + 0.07f, bottom = s.knee_y - 0.03f;
    bb.capped_cone(g.part_pelvis, Material::cloth_top, {0, (top + bottom) / 2, 0}, 0.125f * w,
                   (top - bottom) / 2, 0.085f * w, 0.03f);
  }
}

}  // namespace

void build_humanoid(const Recipe& r, const Pose& pose, BodyBuilder& bb) {
  Rigged g = rig_skeleton(r, pose, bb);
  switch (r.archetype) {
    case Archetype::astronaut:
      dress_astronaut(r, pose, g, bb);
      break;
    case Archetype::robot:
      dress_robot(r, pose, g, bb);
      break;
    default:
      dress_human(r, pose, g, bb);
      break;
  }
}

}  // namespace reel::studio::character
