// H.264 / yuv420p MP4 encoding through libavformat + libx264.
//
// Colour: frames are converted from full-range RGB to limited-range ("TV") BT.709
// YCbCr, and the stream is tagged BT.709 (primaries, transfer, matrix) with limited
// range, so players and our own decoder convert back with the same matrix.
#include <string>

extern "C" {
#include <libavutil/opt.h>
}

#include "media/ffmpeg_util.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/media/mp4.hpp"

namespace reel::media {
namespace {

struct OutputDeleter {
  void operator()(AVFormatContext* f) const {
    if (f->pb) avio_closep(&f->pb);
    avformat_free_context(f);
  }
};
using OutputPtr = std::unique_ptr<AVFormatContext, OutputDeleter>;

std::string nearest_even(int v) {
  return v <= 1 ? "2" : std::to_string(v - 1) + " or " + std::to_string(v + 1);
}

void check_options(const std::filesystem::path& path, int width, int height, Rational fps,
                   const Mp4Options& options) {
  check_image_size(width, height, "MP4 frame");
  if (width % 2 != 0 || height % 2 != 0) {
    std::string msg = "MP4 frame size " + std::to_string(width) + "x" + std::to_string(height) +
                      " is not allowed: H.264 yuv420p needs even width and height";
    if (width % 2 != 0) msg += "; use width " + nearest_even(width);
    if (height % 2 != 0) msg += "; use height " + nearest_even(height);
    throw Error(ErrorKind::InvalidInput, msg + " (reel neither pads nor crops)");
  }
  if (fps.num <= 0 || fps.den <= 0)
    throw Error(ErrorKind::InvalidInput, "frame rate " + std::to_string(fps.num) + "/" +
                                             std::to_string(fps.den) +
                                             " is not allowed; numerator and denominator must "
                                             "be positive");
  if (options.crf < 0 || options.crf > 51)
    throw Error(ErrorKind::InvalidInput,
                "crf " + std::to_string(options.crf) + " is out of range; allowed 0..51");
  static const char* kPresets[] = {"ultrafast", "superfast", "veryfast", "faster",   "fast",
                                   "medium",    "slow",      "slower",   "veryslow", "placebo"};
  bool known = false;
  for (const char* p : kPresets) known = known || options.preset == p;
  if (!known)
    throw Error(ErrorKind::InvalidInput,
                "x264 preset '" + options.preset +
                    "' is unknown; allowed: ultrafast, superfast, veryfast, faster, fast, "
                    "medium, slow, slower, veryslow, placebo");
  if (options.threads < 0)
    throw Error(ErrorKind::InvalidInput, "threads must be >= 0 (0 = automatic)");
  if (path.empty()) throw Error(ErrorKind::InvalidInput, "MP4 output path is empty");
}

}  // namespace

struct Mp4Writer::Impl {
  std::filesystem::path path;
  AtomicFile file;
  int width;
  int height;
  OutputPtr output;
  ffmpeg::CodecContextPtr codec;
  ffmpeg::SwsPtr sws;
  ffmpeg::FramePtr frame;
  ffmpeg::PacketPtr packet;
  AVStream* stream = nullptr;
  int frames = 0;
  bool finished = false;

  Impl(const std::filesystem::path& p, int w, int h) : path(p), file(p), width(w), height(h) {}

  [[noreturn]] void fail(const std::string& what, int rc) {
    throw Error(ErrorKind::Io,
                "writing " + path.string() + ": " + what + ": " + ffmpeg::error_text(rc));
  }

  void open(Rational fps, const Mp4Options& options);
  void drain();
};

void Mp4Writer::Impl::open(Rational fps, const Mp4Options& options) {
  ffmpeg::init();
  ffmpeg::clear_last_log();
  const AVCodec* encoder = avcodec_find_encoder_by_name("libx264");
  if (!encoder)
    throw Error(ErrorKind::Unsupported,
                "this FFmpeg build has no libx264 encoder; install one built with libx264");

  AVFormatContext* raw = nullptr;
  // The temporary's name ends in .tmp.*, so the muxer is named rather than guessed.
  int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", file.temp_path().c_str());
  if (rc < 0 || !raw) fail("cannot create the MP4 muxer", rc);
  output.reset(raw);

  codec.reset(avcodec_alloc_context3(encoder));
  if (!codec) throw Error(ErrorKind::OutOfMemory, "cannot allocate the H.264 encoder");
  AVCodecContext* c = codec.get();
  c->width = width;
  c->height = height;
  c->pix_fmt = AV_PIX_FMT_YUV420P;
  c->time_base = AVRational{fps.den, fps.num};
  c->framerate = AVRational{fps.num, fps.den};
  c->sample_aspect_ratio = AVRational{1, 1};
  c->color_primaries = AVCOL_PRI_BT709;
  c->color_trc = AVCOL_TRC_BT709;
  c->colorspace = AVCOL_SPC_BT709;
  c->color_range = AVCOL_RANGE_MPEG;
  c->thread_count = options.threads;
  if (output->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  // Tags like "encoder" carry no time or host data, so equal input gives equal bytes
  // (x264 itself is deterministic unless told otherwise).
  c->flags |= AV_CODEC_FLAG_BITEXACT;
  av_opt_set(c->priv_data, "preset", options.preset.c_str(), 0);
  av_opt_set(c->priv_data, "crf", std::to_string(options.crf).c_str(), 0);
  rc = avcodec_open2(c, encoder, nullptr);
  if (rc < 0) fail("cannot open the H.264 encoder", rc);

  stream = avformat_new_stream(output.get(), nullptr);
  if (!stream) throw Error(ErrorKind::OutOfMemory, "cannot allocate the MP4 video stream");
  stream->time_base = c->time_base;
  stream->avg_frame_rate = c->framerate;
  stream->r_frame_rate = c->framerate;
  rc = avcodec_parameters_from_context(stream->codecpar, c);
  if (rc < 0) fail("cannot set the stream parameters", rc);

  output->flags |= AVFMT_FLAG_BITEXACT;
  rc = avio_open(&output->pb, file.temp_path().c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) fail("cannot create " + file.temp_path().string(), rc);
  AVDictionary* mux_options = nullptr;
  if (options.faststart) av_dict_set(&mux_options, "movflags", "+faststart", 0);
  rc = avformat_write_header(output.get(), &mux_options);
  av_dict_free(&mux_options);
  if (rc < 0) fail("cannot write the MP4 header", rc);

  sws.reset(sws_getContext(width, height, AV_PIX_FMT_RGBA, width, height, AV_PIX_FMT_YUV420P,
                           SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr, nullptr,
                           nullptr));
  if (!sws) throw Error(ErrorKind::Internal, "cannot create the RGBA to yuv420p converter");
  const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
  // Source is full-range RGB, destination limited-range BT.709 (matching the tags).
  sws_setColorspaceDetails(sws.get(), bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);

  frame.reset(av_frame_alloc());
  packet.reset(av_packet_alloc());
  if (!frame || !packet) throw Error(ErrorKind::OutOfMemory, "cannot allocate an MP4 frame");
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  frame->color_primaries = c->color_primaries;
  frame->color_trc = c->color_trc;
  frame->colorspace = c->colorspace;
  frame->color_range = c->color_range;
  rc = av_frame_get_buffer(frame.get(), 0);
  if (rc < 0) throw Error(ErrorKind::OutOfMemory, "cannot allocate an MP4 frame buffer");
}

void Mp4Writer::Impl::drain() {
  for (;;) {
    int rc = avcodec_receive_packet(codec.get(), packet.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
    if (rc < 0) fail("H.264 encoding failed", rc);
    av_packet_rescale_ts(packet.get(), codec->time_base, stream->time_base);
    packet->stream_index = stream->index;
    rc = av_interleaved_write_frame(output.get(), packet.get());
    if (rc < 0) fail("cannot write a packet", rc);
  }
}

Mp4Writer::Mp4Writer(const std::filesystem::path& path, int width, int height, Rational fps,
                     const Mp4Options& options) {
  check_options(path, width, height, fps, options);
  impl_ = std::make_unique<Impl>(path, width, height);
  impl_->open(fps, options);
}

// Members free the FFmpeg objects; the AtomicFile removes the temporary unless
// finish() committed it.
Mp4Writer::~Mp4Writer() = default;

void Mp4Writer::add_frame(const Image& frame) {
  Impl& m = *impl_;
  if (m.finished) throw Error(ErrorKind::InvalidInput, "Mp4Writer::add_frame after finish()");
  if (frame.width() != m.width || frame.height() != m.height)
    throw Error(ErrorKind::InvalidInput,
                "frame " + std::to_string(m.frames) + " is " + std::to_string(frame.width()) + "x" +
                    std::to_string(frame.height()) + "; this MP4 is " + std::to_string(m.width) +
                    "x" + std::to_string(m.height));
  const Image converted = frame.type() == PixelType::u8 ? Image() : frame.to_u8();
  const Image& rgba = frame.type() == PixelType::u8 ? frame : converted;

  // The encoder may still hold a reference to the previous buffer.
  int rc = av_frame_make_writable(m.frame.get());
  if (rc < 0) throw Error(ErrorKind::OutOfMemory, "cannot allocate an MP4 frame buffer");
  const std::uint8_t* src[1] = {rgba.u8()};
  const int src_stride[1] = {4 * m.width};
  sws_scale(m.sws.get(), src, src_stride, 0, m.height, m.frame->data, m.frame->linesize);
  m.frame->pts = m.frames;
  rc = avcodec_send_frame(m.codec.get(), m.frame.get());
  if (rc < 0) m.fail("H.264 encoding failed", rc);
  ++m.frames;
  m.drain();
}

void Mp4Writer::finish() {
  Impl& m = *impl_;
  if (m.finished) return;
  if (m.frames == 0)
    throw Error(ErrorKind::InvalidInput,
                "cannot finish " + m.path.string() + ": no frames were added (at least 1 needed)");
  int rc = avcodec_send_frame(m.codec.get(), nullptr);
  if (rc < 0) m.fail("H.264 encoding failed", rc);
  m.drain();
  rc = av_write_trailer(m.output.get());
  if (rc < 0) m.fail("cannot write the MP4 index", rc);
  rc = avio_closep(&m.output->pb);
  if (rc < 0) m.fail("cannot close the temporary file", rc);
  m.file.commit();
  m.finished = true;
}

int Mp4Writer::frames_written() const {
  return impl_->frames;
}

void write_mp4(const std::filesystem::path& path, const Video& video, const Mp4Options& options,
               const CancelToken& cancel) {
  if (video.frames.empty())
    throw Error(ErrorKind::InvalidInput,
                "cannot write " + path.string() + ": the video has no frames");
  Mp4Writer writer(path, video.width(), video.height(), video.fps, options);
  for (const Image& frame : video.frames) {
    cancel.check();
    writer.add_frame(frame);
  }
  writer.finish();
}

}  // namespace reel::media
