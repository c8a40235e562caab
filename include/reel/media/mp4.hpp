#pragma once
// MP4 (H.264, yuv420p) through FFmpeg's libavcodec/libavformat with libx264.
//
// Odd sizes: yuv420p needs even width and height. reel refuses odd sizes with
// InvalidInput (naming the nearest even sizes) rather than silently padding or
// cropping, so that what you asked for is what you get. Documented in docs/media.md.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "reel/core/cancel.hpp"
#include "reel/media/video.hpp"

namespace reel::media {

struct Mp4Options {
  int crf = 18;                   // 0..51, lower is better quality
  std::string preset = "medium";  // x264 preset: ultrafast..placebo
  bool faststart = true;          // moov before mdat, for streaming
  int threads = 0;                // 0 = x264 picks (all cores)
};

// Streaming encoder: frames are encoded as they are added, so a long clip never
// has to sit in memory whole. Writes to a temporary file; finish() makes the target
// appear atomically. Destroying without finish() leaves no file behind.
class Mp4Writer {
 public:
  Mp4Writer(const std::filesystem::path& path, int width, int height, Rational fps,
            const Mp4Options& options = {});
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  // Frame must be width x height; u8 or f32 (converted).
  void add_frame(const Image& frame);
  void finish();
  int frames_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `cancel` is checked before each frame: a long clip's encoding stops within a frame
// of a Ctrl-C (Error Cancelled, no file written).
void write_mp4(const std::filesystem::path& path, const Video& video,
               const Mp4Options& options = {}, const CancelToken& cancel = CancelToken());

struct DecodeLimits {
  int max_frames = 100000;
  std::uint64_t max_total_pixels = 1ull << 34;  // frames x width x height
};

// Decodes every frame to RGBA8. Hostile input → Error(InvalidInput) naming the file.
Video read_mp4(const std::filesystem::path& path, const DecodeLimits& limits = {});
// Calls on_frame for each decoded frame (index, frame) without keeping them all.
void decode_mp4(const std::filesystem::path& path,
                const std::function<void(int, const Image&)>& on_frame,
                const DecodeLimits& limits = {});

// contact_sheet() (ops.hpp) straight from a file: frames are decoded one at a time and
// only the chosen ones are kept (as tiles), so a long clip never sits in memory whole.
Image contact_sheet_mp4(const std::filesystem::path& path, int columns = 4, int rows = 3,
                        int tile_width = 320, const DecodeLimits& limits = {});

struct ProbeInfo {
  int width = 0;
  int height = 0;
  Rational fps;
  int frame_count = 0;
  double duration_seconds = 0.0;
  std::string codec;         // e.g. "h264"
  std::string pixel_format;  // e.g. "yuv420p"
  std::string container;     // e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::uint64_t file_bytes = 0;
};

ProbeInfo probe(const std::filesystem::path& path);

}  // namespace reel::media
