#pragma once
// JPEG reading through libturbojpeg; the header's size is checked before allocating.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "reel/media/image.hpp"

namespace reel::media {

Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& what = "JPEG data");
// The size the frame header declares, read without decoding a pixel (InvalidInput when
// the markers before it are broken).
ImageSize jpeg_size(std::span<const std::uint8_t> bytes, const std::string& what = "JPEG data");
Image read_jpeg(const std::filesystem::path& path);

// Reads PNG or JPEG by sniffing the magic bytes (not the extension); anything else
// is InvalidInput naming the accepted formats.
Image read_image(const std::filesystem::path& path);

}  // namespace reel::media
