// Media throughput: H.264 encode at 720p, PNG encode, 4K→720p resize, 720p alpha_over.
//   ./build/bin/bench_bench_media
// Rates use wall time; the CPU column is the whole process (all threads), which stays
// meaningful when the machine is shared.
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "reel/media/mp4.hpp"
#include "reel/media/ops.hpp"
#include "reel/media/png.hpp"

namespace {

using namespace reel::media;

// Smooth gradient plus moving shapes: compresses like generated footage, not like noise.
Image frame(int w, int h, int t) {
  Image img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = img.u8_pixel(x, y);
      p[0] = static_cast<std::uint8_t>(255 * x / w);
      p[1] = static_cast<std::uint8_t>(255 * y / h);
      p[2] = static_cast<std::uint8_t>(128 + 100 * std::sin((x + y + 6 * t) * 0.01f));
      p[3] = 255;
      const int dx = x - (w / 4 + 8 * t), dy = y - h / 2;
      if (dx * dx + dy * dy < (h / 5) * (h / 5)) p[0] = 240, p[1] = 200, p[2] = 40;
    }
  return img;
}

std::vector<Image> clip(int n) {
  std::vector<Image> frames;
  for (int t = 0; t < n; ++t) frames.push_back(frame(1280, 720, t));
  return frames;
}

void BM_Mp4Encode720p(benchmark::State& state, const char* preset) {
  static const std::vector<Image> frames = clip(24);
  const auto path = std::filesystem::temp_directory_path() / "reel_bench_media.mp4";
  std::int64_t encoded = 0;
  for (auto _ : state) {
    Mp4Writer w(path, 1280, 720, {24, 1}, {.crf = 18, .preset = preset});
    for (const Image& f : frames) w.add_frame(f);
    w.finish();
    encoded += static_cast<std::int64_t>(frames.size());
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(encoded), benchmark::Counter::kIsRate);
  state.counters["bytes"] = static_cast<double>(std::filesystem::file_size(path));
  std::filesystem::remove(path);
}
BENCHMARK_CAPTURE(BM_Mp4Encode720p, veryfast, "veryfast")
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Mp4Encode720p, medium, "medium")
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

void BM_PngEncode720p(benchmark::State& state) {
  const Image img = frame(1280, 720, 0);
  const int level = static_cast<int>(state.range(0));
  std::size_t bytes = 0;
  for (auto _ : state) bytes = encode_png(img, {.compression_level = level}).size();
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PngEncode720p)
    ->Arg(1)
    ->Arg(6)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

void BM_Resize4kTo720p(benchmark::State& state) {
  const Image src = frame(3840, 2160, 0);
  const auto filter = static_cast<Filter>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(resize(src, 1280, 720, filter));
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Resize4kTo720p)
    ->ArgName("filter(0=nearest,1=bilinear,2=area)")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

// What the studio animator does per frame: a full-frame layer with soft alpha over a
// background.
void BM_AlphaOver720p(benchmark::State& state) {
  const Image bg = frame(1280, 720, 0);
  Image fg = frame(1280, 720, 3);
  for (int y = 0; y < 720; ++y)
    for (int x = 0; x < 1280; ++x) fg.u8_pixel(x, y)[3] = static_cast<std::uint8_t>((x + y) % 256);
  for (auto _ : state) {
    Image out = bg;
    alpha_over(out, fg, 0, 0, 0.9f);
    benchmark::DoNotOptimize(out);
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AlphaOver720p)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
