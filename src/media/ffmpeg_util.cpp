#include "media/ffmpeg_util.hpp"

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/media/image.hpp"

namespace reel::media::ffmpeg {
namespace {

thread_local std::string last_log;

void log_callback(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_ERROR) return;
  char line[512];
  int print_prefix = 1;
  av_log_format_line2(avcl, level, fmt, args, line, sizeof(line), &print_prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  last_log = std::move(text);
}

}  // namespace

std::int64_t max_pixels_for(int width, int height) {
  if (width <= 0 || height <= 0) return std::int64_t{8192} * 8192;
  return (std::int64_t{width} + 64) * (std::int64_t{height} + 64);
}

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(log_callback);
  });
}

void clear_last_log() {
  last_log.clear();
}

std::string error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof(buf));
  std::string text(buf);
  if (!last_log.empty()) text += " (" + last_log + ")";
  return text;
}

InputPtr open_input(const std::filesystem::path& path) {
  init();
  clear_last_log();
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw Error(ErrorKind::NotFound, "no such file: " + path.string());
  if (std::filesystem::is_directory(status))
    throw Error(ErrorKind::InvalidInput, path.string() + " is a directory, expected an MP4 file");

  const AVInputFormat* mov = av_find_input_format("mp4");
  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), mov, &options);
  av_dict_free(&options);
  if (rc < 0)
    throw Error(ErrorKind::InvalidInput,
                "cannot read " + path.string() + " as MP4: " + error_text(rc));
  InputPtr input(raw);
  // find_stream_info decodes a few frames; cap the pixels its decoders may allocate
  // at what the container declares (plus slack for macroblock padding), so a codec
  // header claiming a giant frame is refused instead of allocated.
  struct StreamOptions {
    std::vector<AVDictionary*> dicts;
    ~StreamOptions() {
      for (AVDictionary*& d : dicts) av_dict_free(&d);
    }
  } options_per_stream{std::vector<AVDictionary*>(input->nb_streams, nullptr)};
  std::vector<AVDictionary*>& stream_options = options_per_stream.dicts;
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    const AVCodecParameters* par = input->streams[i]->codecpar;
    if (par->codec_type != AVMEDIA_TYPE_VIDEO) continue;
    if (par->width < 0 || par->height < 0 || par->width > kMaxImageSide ||
        par->height > kMaxImageSide)
      throw Error(ErrorKind::InvalidInput, "cannot decode " + path.string() + ": video size " +
                                               std::to_string(par->width) + "x" +
                                               std::to_string(par->height) +
                                               " is out of range; width and height must be 1.." +
                                               std::to_string(kMaxImageSide));
    av_dict_set_int(&stream_options[i], "max_pixels", max_pixels_for(par->width, par->height), 0);
  }
  rc = avformat_find_stream_info(input.get(), stream_options.data());
  if (rc < 0)
    throw Error(ErrorKind::InvalidInput,
                "cannot read the streams of " + path.string() + ": " + error_text(rc));
  return input;
}

int find_video_stream(AVFormatContext* input, const std::filesystem::path& path) {
  int index = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) throw Error(ErrorKind::InvalidInput, path.string() + " has no video stream");
  return index;
}

}  // namespace reel::media::ffmpeg
