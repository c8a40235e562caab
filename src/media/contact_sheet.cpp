#include <algorithm>
#include <cmath>
#include <string>

#include "reel/core/error.hpp"
#include "reel/media/ops.hpp"
#include "reel/media/video.hpp"

namespace reel::media {
namespace {

constexpr int kGap = 4;                                     // pixels between and around tiles
constexpr std::uint8_t kBackground[4] = {24, 24, 24, 255};  // dark, so tiles stand out

}  // namespace

Image contact_sheet(const Video& video, int columns, int rows, int tile_width) {
  if (video.frames.empty())
    throw Error(ErrorKind::InvalidInput, "cannot make a contact sheet of a video with no frames");
  if (columns < 1 || rows < 1 || tile_width < 1)
    throw Error(ErrorKind::InvalidInput,
                "contact sheet needs columns, rows and tile width >= 1; got " +
                    std::to_string(columns) + ", " + std::to_string(rows) + ", " +
                    std::to_string(tile_width));
  const int frame_count = static_cast<int>(video.frames.size());
  const long long wanted = static_cast<long long>(columns) * rows;
  const int tiles = static_cast<int>(std::min<long long>(wanted, frame_count));
  const int used_rows = (tiles + columns - 1) / columns;
  const int used_columns = std::min(columns, tiles);
  const Image& first = video.frames.front();
  // Tiles keep the frames' aspect ratio.
  const int tile_height =
      std::max(1, static_cast<int>(std::lround(static_cast<double>(tile_width) * first.height() /
                                               first.width())));
  const long long sheet_w = static_cast<long long>(used_columns) * (tile_width + kGap) + kGap;
  const long long sheet_h = static_cast<long long>(used_rows) * (tile_height + kGap) + kGap;
  if (sheet_w > kMaxImageSide || sheet_h > kMaxImageSide)
    throw Error(ErrorKind::InvalidInput,
                "contact sheet would be " + std::to_string(sheet_w) + "x" +
                    std::to_string(sheet_h) + "; at most " + std::to_string(kMaxImageSide) +
                    " per side (use fewer columns/rows or a smaller tile width)");

  Image sheet(static_cast<int>(sheet_w), static_cast<int>(sheet_h), PixelType::u8);
  for (std::size_t i = 0; i < sheet.pixel_count(); ++i)
    std::copy(kBackground, kBackground + 4, sheet.u8() + i * 4);

  for (int t = 0; t < tiles; ++t) {
    // Evenly spaced, first and last frame included.
    const int index =
        tiles == 1
            ? 0
            : static_cast<int>((static_cast<long long>(t) * (frame_count - 1) + (tiles - 1) / 2) /
                               (tiles - 1));
    const Image& frame = video.frames[index];
    if (frame.empty()) continue;
    Image tile = resize(frame, tile_width, tile_height, Filter::area);
    if (tile.type() != PixelType::u8) tile = tile.to_u8();
    const int x = kGap + (t % columns) * (tile_width + kGap);
    const int y = kGap + (t / columns) * (tile_height + kGap);
    alpha_over(sheet, tile, x, y);
  }
  return sheet;
}

}  // namespace reel::media
