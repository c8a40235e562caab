#pragma once
// Pixel operations shared by models and the pipeline.
#include "reel/media/image.hpp"

namespace reel::media {

enum class Filter { nearest, bilinear, area };

// Resizes to width x height. `area` averages source pixels (good for large
// downscales); `bilinear` interpolates. Works on u8 and f32; alpha-aware
// (colour is weighted by alpha so transparent pixels do not bleed dark fringes).
Image resize(const Image& src, int width, int height, Filter filter = Filter::bilinear);
Plane resize(const Plane& src, int width, int height);

// Porter-Duff "over": places fg (straight alpha) onto bg at (x, y), in place.
// fg may extend past bg's edges (clipped). opacity scales fg's alpha.
void alpha_over(Image& bg, const Image& fg, int x, int y, float opacity = 1.0f);

// PSNR in dB between two same-sized images over RGB (alpha ignored); inf if equal.
double psnr(const Image& a, const Image& b);

// A grid of frames, each scaled to tile_width wide, for judging a clip at a glance.
struct Video;
Image contact_sheet(const Video& video, int columns = 4, int rows = 3, int tile_width = 320);

}  // namespace reel::media
