#pragma once
// Cheap bounds of the character primitives used to keep the sphere tracer's work
// small: screen extents (for tiles and rig boxes) and exact ray spans through
// simple proxy shapes.
#include "character_body.hpp"

namespace reel::studio::character {

// Pixel-space rectangle (or, where noted, one in character space).
struct ScreenBox {
  float x0, y0, x1, y1;
};

// Screen-space extent of a primitive (pixels) for a frame whose character
// stands with its feet at pixel (ox, oy) and is `scale` pixels tall, with its
// smooth-union margin.
ScreenBox screen_extent(const Primitive& p, float scale, float ox, float oy);

// Where the ray x = X, y = Y (travelling towards -z) enters and leaves the
// primitive grown by `grow`; false when it misses. Exact for ellipsoids (up to
// the growth), capsules around round cones and boxes around boxes/cylinders, a
// sphere for tori. Rays only march between these, and only through primitives
// they pass near, which keeps the SDF loop short.
bool proxy_span(const Primitive& p, float X, float Y, float grow, float* z_in, float* z_out);

}  // namespace reel::studio::character
