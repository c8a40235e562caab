#pragma once
// Limits shared by the still-image decoders (private to media/). Every decoder checks a
// file's declared size against these before allocating pixels; see docs/media.md.
#include <cstdint>

namespace reel::media {

// 2^27 pixels = 512 MiB as RGBA8: twice an 8K frame, far below what a hostile header
// could ask for (16384 x 16384 is allowed per side, but not both at once).
inline constexpr std::uint64_t kMaxDecodePixels = std::uint64_t{1} << 27;

// Encoded stills larger than this are refused before being read into memory.
inline constexpr std::uint64_t kMaxEncodedFileBytes = std::uint64_t{1} << 30;

}  // namespace reel::media
