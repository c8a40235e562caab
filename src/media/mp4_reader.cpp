// MP4 decoding and probing. The file is hostile: sizes and frame counts are checked
// against the limits before pixels are allocated, every FFmpeg failure becomes
// InvalidInput naming the file, and a file that ends early is reported rather than
// silently returning fewer frames.
#include <limits>
#include <string>

#include "media/ffmpeg_util.hpp"
#include "reel/core/error.hpp"
#include "reel/media/mp4.hpp"

namespace reel::media {
namespace {

[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& why) {
  throw Error(ErrorKind::InvalidInput, "cannot decode " + path.string() + ": " + why);
}

std::string size_text(int w, int h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

void check_frame_size(const std::filesystem::path& path, int w, int h) {
  if (w < 1 || h < 1 || w > kMaxImageSide || h > kMaxImageSide)
    refuse(path, "video size " + size_text(w, h) +
                     " is out of range; width and height must be 1.." +
                     std::to_string(kMaxImageSide));
}

Rational frame_rate(const AVStream* stream) {
  AVRational r = stream->avg_frame_rate;
  if (r.num <= 0 || r.den <= 0) r = stream->r_frame_rate;
  if (r.num <= 0 || r.den <= 0) return Rational{};
  av_reduce(&r.num, &r.den, r.num, r.den, std::numeric_limits<int>::max());
  return Rational{r.num, r.den};
}

// Frames are converted with the matrix and range the stream declares; untagged
// streams use BT.601, FFmpeg's and most players' convention for SD-or-unknown.
int colour_matrix(AVColorSpace space) {
  switch (space) {
    case AVCOL_SPC_BT709:
      return SWS_CS_ITU709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return SWS_CS_BT2020;
    case AVCOL_SPC_SMPTE240M:
      return SWS_CS_SMPTE240M;
    default:
      return SWS_CS_ITU601;
  }
}

struct Decoder {
  const std::filesystem::path& path;
  const DecodeLimits& limits;
  ffmpeg::InputPtr input;
  int stream_index = -1;
  ffmpeg::CodecContextPtr codec;
  ffmpeg::SwsPtr sws;
  AVPixelFormat sws_format = AV_PIX_FMT_NONE;
  ffmpeg::FramePtr frame{av_frame_alloc()};
  ffmpeg::PacketPtr packet{av_packet_alloc()};
  int width = 0;
  int height = 0;
  int decoded = 0;

  Decoder(const std::filesystem::path& p, const DecodeLimits& l) : path(p), limits(l) {}

  void open() {
    if (!frame || !packet) throw Error(ErrorKind::OutOfMemory, "cannot allocate an MP4 frame");
    input = ffmpeg::open_input(path);
    stream_index = ffmpeg::find_video_stream(input.get(), path);
    const AVStream* stream = input->streams[stream_index];
    const AVCodecParameters* par = stream->codecpar;
    width = par->width;
    height = par->height;
    check_frame_size(path, width, height);
    const std::uint64_t pixels = std::uint64_t(width) * std::uint64_t(height);
    if (stream->nb_frames > limits.max_frames)
      refuse(path, "it declares " + std::to_string(stream->nb_frames) + " frames; at most " +
                       std::to_string(limits.max_frames) + " are decoded");
    if (stream->nb_frames > 0 &&
        std::uint64_t(stream->nb_frames) * pixels > limits.max_total_pixels)
      refuse(path, "it declares " + std::to_string(stream->nb_frames) + " frames of " +
                       size_text(width, height) + ", past the budget of " +
                       std::to_string(limits.max_total_pixels) + " pixels");

    const AVCodec* decoder = avcodec_find_decoder(par->codec_id);
    if (!decoder)
      refuse(path, std::string("no decoder for codec '") + avcodec_get_name(par->codec_id) + "'");
    codec.reset(avcodec_alloc_context3(decoder));
    if (!codec) throw Error(ErrorKind::OutOfMemory, "cannot allocate a video decoder");
    int rc = avcodec_parameters_to_context(codec.get(), par);
    if (rc < 0) refuse(path, "bad codec parameters: " + ffmpeg::error_text(rc));
    codec->thread_count = 0;
    codec->max_pixels = ffmpeg::max_pixels_for(width, height);
    rc = avcodec_open2(codec.get(), decoder, nullptr);
    if (rc < 0) refuse(path, "cannot open the decoder: " + ffmpeg::error_text(rc));
  }

  void emit(const std::function<void(int, const Image&)>& on_frame) {
    if (frame->width != width || frame->height != height)
      refuse(path, "frame " + std::to_string(decoded) + " is " +
                       size_text(frame->width, frame->height) + " but the stream is " +
                       size_text(width, height) + " (size changes are not supported)");
    if (decoded >= limits.max_frames)
      refuse(path, "more than " + std::to_string(limits.max_frames) + " frames (the limit)");
    if (std::uint64_t(decoded + 1) * width * height > limits.max_total_pixels)
      refuse(path, "more than " + std::to_string(limits.max_total_pixels) +
                       " decoded pixels (the limit)");
    const auto format = static_cast<AVPixelFormat>(frame->format);
    if (!sws || format != sws_format) {
      sws.reset(sws_getContext(width, height, format, width, height, AV_PIX_FMT_RGBA,
                               SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                               nullptr, nullptr));
      if (!sws)
        refuse(path, std::string("cannot convert pixel format ") +
                         (av_get_pix_fmt_name(format) ? av_get_pix_fmt_name(format) : "?") +
                         " to RGBA");
      const int* coefficients = sws_getCoefficients(colour_matrix(frame->colorspace));
      const int src_full = frame->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
      sws_setColorspaceDetails(sws.get(), coefficients, src_full, coefficients, 1, 0, 1 << 16,
                               1 << 16);
      sws_format = format;
    }
    Image rgba(width, height, PixelType::u8);
    std::uint8_t* dst[1] = {rgba.u8()};
    const int dst_stride[1] = {4 * width};
    sws_scale(sws.get(), frame->data, frame->linesize, 0, height, dst, dst_stride);
    on_frame(decoded, rgba);
    ++decoded;
  }

  // Sends one packet (or nullptr to flush) and emits every frame it yields.
  void feed(const AVPacket* pkt, const std::function<void(int, const Image&)>& on_frame) {
    int rc = avcodec_send_packet(codec.get(), pkt);
    if (rc < 0 && rc != AVERROR_EOF) refuse(path, "corrupt video data: " + ffmpeg::error_text(rc));
    for (;;) {
      rc = avcodec_receive_frame(codec.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) refuse(path, "corrupt video data: " + ffmpeg::error_text(rc));
      if (frame->decode_error_flags != 0 || (frame->flags & AV_FRAME_FLAG_CORRUPT))
        refuse(path, "frame " + std::to_string(decoded) + " is corrupt");
      emit(on_frame);
      av_frame_unref(frame.get());
    }
  }

  void run(const std::function<void(int, const Image&)>& on_frame) {
    for (;;) {
      int rc = av_read_frame(input.get(), packet.get());
      if (rc == AVERROR_EOF) break;
      if (rc < 0) refuse(path, "cannot read a packet: " + ffmpeg::error_text(rc));
      if (packet->stream_index == stream_index) {
        if (packet->flags & AV_PKT_FLAG_CORRUPT)
          refuse(path, "packet " + std::to_string(decoded) + " is corrupt or cut short");
        try {
          feed(packet.get(), on_frame);
        } catch (...) {
          av_packet_unref(packet.get());
          throw;
        }
      }
      av_packet_unref(packet.get());
    }
    feed(nullptr, on_frame);
    const std::int64_t declared = input->streams[stream_index]->nb_frames;
    if (declared > 0 && decoded < declared)
      refuse(path, "only " + std::to_string(decoded) + " of the " + std::to_string(declared) +
                       " declared frames could be decoded (the file is truncated or corrupt)");
    if (decoded == 0) refuse(path, "no frame could be decoded");
  }
};

}  // namespace

void decode_mp4(const std::filesystem::path& path,
                const std::function<void(int, const Image&)>& on_frame,
                const DecodeLimits& limits) {
  Decoder decoder(path, limits);
  decoder.open();
  decoder.run(on_frame);
}

Video read_mp4(const std::filesystem::path& path, const DecodeLimits& limits) {
  Video video;
  Decoder decoder(path, limits);
  decoder.open();
  video.fps = frame_rate(decoder.input->streams[decoder.stream_index]);
  decoder.run([&](int, const Image& frame) { video.frames.push_back(frame); });
  return video;
}

ProbeInfo probe(const std::filesystem::path& path) {
  ffmpeg::InputPtr input = ffmpeg::open_input(path);
  const int index = ffmpeg::find_video_stream(input.get(), path);
  const AVStream* stream = input->streams[index];
  const AVCodecParameters* par = stream->codecpar;
  ProbeInfo info;
  info.width = par->width;
  info.height = par->height;
  info.fps = frame_rate(stream);
  info.codec = avcodec_get_name(par->codec_id);
  const char* pix = av_get_pix_fmt_name(static_cast<AVPixelFormat>(par->format));
  info.pixel_format = pix ? pix : "unknown";
  info.container = input->iformat->name;
  if (stream->nb_frames > 0 && stream->nb_frames <= std::numeric_limits<int>::max()) {
    info.frame_count = static_cast<int>(stream->nb_frames);
  } else {
    // Containers without a sample count (fragmented MP4) are counted packet by packet;
    // reading packets allocates only their compressed size.
    ffmpeg::PacketPtr packet(av_packet_alloc());
    if (!packet) throw Error(ErrorKind::OutOfMemory, "cannot allocate an MP4 packet");
    int count = 0;
    int rc;
    while ((rc = av_read_frame(input.get(), packet.get())) >= 0) {
      if (packet->stream_index == index && count < std::numeric_limits<int>::max()) ++count;
      av_packet_unref(packet.get());
    }
    if (rc != AVERROR_EOF)
      throw Error(ErrorKind::InvalidInput,
                  "cannot read " + path.string() + ": " + ffmpeg::error_text(rc));
    info.frame_count = count;
  }
  if (input->duration > 0 && input->duration != AV_NOPTS_VALUE)
    info.duration_seconds = static_cast<double>(input->duration) / AV_TIME_BASE;
  else if (stream->duration > 0)
    info.duration_seconds = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
  std::error_code ec;
  info.file_bytes = std::filesystem::file_size(path, ec);
  return info;
}

}  // namespace reel::media
