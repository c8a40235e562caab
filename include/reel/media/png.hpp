#pragma once
// PNG through libpng. Reading treats the bytes as hostile: the IHDR size is checked
// against kMaxImageSide (and a pixel budget) before any allocation, and libpng errors
// become Error(InvalidInput) naming the file. Any colour type / bit depth is read and
// converted to RGBA8 (16-bit is reduced to 8-bit).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "reel/media/image.hpp"

namespace reel::media {

struct PngOptions {
  // zlib level 0..9; 1 is ~5x faster than 6 for ~10% larger files.
  int compression_level = 6;
};

Image decode_png(std::span<const std::uint8_t> bytes, const std::string& what = "PNG data");
// The size the IHDR declares, read without decoding anything (InvalidInput when there is
// no signature or IHDR): a server refuses an image too large for its caller before
// spending time on it.
ImageSize png_size(std::span<const std::uint8_t> bytes, const std::string& what = "PNG data");
Image read_png(const std::filesystem::path& path);
std::vector<std::uint8_t> encode_png(const Image& image, const PngOptions& options = {});
// Atomic: the file appears whole or not at all.
void write_png(const std::filesystem::path& path, const Image& image,
               const PngOptions& options = {});

}  // namespace reel::media
