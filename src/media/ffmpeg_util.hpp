#pragma once
// FFmpeg helpers private to media/: RAII owners for its C objects, error text, and the
// process-wide log setup. No FFmpeg type leaves src/media (see STYLE.md).
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace reel::media::ffmpeg {

// Routes FFmpeg's log away from stderr (the CLI's stderr stays clean); the last
// error-level line on this thread is kept for error messages. Idempotent.
void init();

// "Invalid data found when processing input" etc., plus FFmpeg's last logged error
// line on this thread when there is one.
std::string error_text(int code);
void clear_last_log();

struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct InputDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};

using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using InputPtr = std::unique_ptr<AVFormatContext, InputDeleter>;

// Opens `path` with the MP4/MOV demuxer only (never probing other formats, which could
// follow playlists or references to other files) and reads stream info. Missing file →
// NotFound; directory or unreadable/invalid data → InvalidInput naming the file.
InputPtr open_input(const std::filesystem::path& path);

// The `max_pixels` given to decoders of a stream the container says is width x height:
// enough for codec padding, far less than a hostile codec header could ask for.
std::int64_t max_pixels_for(int width, int height);

// Index of the best video stream; InvalidInput when there is none.
int find_video_stream(AVFormatContext* input, const std::filesystem::path& path);

}  // namespace reel::media::ffmpeg
