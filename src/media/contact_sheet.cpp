#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/ops.hpp"
#include "reel/media/video.hpp"

namespace reel::media {
namespace {

constexpr int kGap = 4;                                     // pixels between and around tiles
constexpr std::uint8_t kBackground[4] = {24, 24, 24, 255};  // dark, so tiles stand out

// Where each tile comes from and goes, decided from the frame count and size alone so
// that a video can be streamed through it.
struct Layout {
  int columns = 0;
  int tile_width = 0;
  int tile_height = 0;
  std::vector<int> frame_index;  // per tile, ascending
  int sheet_width = 0;
  int sheet_height = 0;
};

Layout plan(int frame_count, int frame_width, int frame_height, int columns, int rows,
            int tile_width) {
  if (frame_count < 1 || frame_width < 1 || frame_height < 1)
    throw Error(ErrorKind::InvalidInput, "cannot make a contact sheet of a video with no frames");
  if (columns < 1 || rows < 1 || tile_width < 1)
    throw Error(ErrorKind::InvalidInput,
                "contact sheet needs columns, rows and tile width >= 1; got " +
                    std::to_string(columns) + ", " + std::to_string(rows) + ", " +
                    std::to_string(tile_width));
  Layout l;
  l.columns = columns;
  l.tile_width = tile_width;
  const int tiles =
      static_cast<int>(std::min<long long>(static_cast<long long>(columns) * rows, frame_count));
  // Evenly spaced, first and last frame included.
  for (int t = 0; t < tiles; ++t)
    l.frame_index.push_back(
        tiles == 1
            ? 0
            : static_cast<int>((static_cast<long long>(t) * (frame_count - 1) + (tiles - 1) / 2) /
                               (tiles - 1)));
  // Tiles keep the frames' aspect ratio.
  l.tile_height = std::max(1, static_cast<int>(std::lround(static_cast<double>(tile_width) *
                                                           frame_height / frame_width)));
  const int used_rows = (tiles + columns - 1) / columns;
  const int used_columns = std::min(columns, tiles);
  const long long w = static_cast<long long>(used_columns) * (tile_width + kGap) + kGap;
  const long long h = static_cast<long long>(used_rows) * (l.tile_height + kGap) + kGap;
  if (w > kMaxImageSide || h > kMaxImageSide)
    throw Error(ErrorKind::InvalidInput,
                "contact sheet would be " + std::to_string(w) + "x" + std::to_string(h) +
                    "; at most " + std::to_string(kMaxImageSide) +
                    " per side (use fewer columns/rows or a smaller tile width)");
  l.sheet_width = static_cast<int>(w);
  l.sheet_height = static_cast<int>(h);
  return l;
}

Image blank_sheet(const Layout& l) {
  Image sheet(l.sheet_width, l.sheet_height, PixelType::u8);
  for (std::size_t i = 0; i < sheet.pixel_count(); ++i)
    std::copy(kBackground, kBackground + 4, sheet.u8() + i * 4);
  return sheet;
}

void place(Image& sheet, const Layout& l, int tile, const Image& frame) {
  if (frame.empty()) return;
  Image scaled = resize(frame, l.tile_width, l.tile_height, Filter::area);
  if (scaled.type() != PixelType::u8) scaled = scaled.to_u8();
  const int x = kGap + (tile % l.columns) * (l.tile_width + kGap);
  const int y = kGap + (tile / l.columns) * (l.tile_height + kGap);
  alpha_over(sheet, scaled, x, y);
}

}  // namespace

Image contact_sheet(const Video& video, int columns, int rows, int tile_width) {
  const Image* first = video.frames.empty() ? nullptr : &video.frames.front();
  const Layout l = plan(static_cast<int>(video.frames.size()), first ? first->width() : 0,
                        first ? first->height() : 0, columns, rows, tile_width);
  Image sheet = blank_sheet(l);
  for (std::size_t t = 0; t < l.frame_index.size(); ++t)
    place(sheet, l, static_cast<int>(t), video.frames[l.frame_index[t]]);
  return sheet;
}

Image contact_sheet_mp4(const std::filesystem::path& path, int columns, int rows, int tile_width,
                        const DecodeLimits& limits) {
  const ProbeInfo info = probe(path);
  const Layout l = plan(info.frame_count, info.width, info.height, columns, rows, tile_width);
  Image sheet = blank_sheet(l);
  std::size_t next = 0;
  decode_mp4(
      path,
      [&](int index, const Image& frame) {
        // Several tiles can show the same frame only when there are fewer frames than
        // tiles, which plan() rules out; indices ascend.
        while (next < l.frame_index.size() && l.frame_index[next] == index)
          place(sheet, l, static_cast<int>(next++), frame);
      },
      limits);
  return sheet;
}

}  // namespace reel::media
