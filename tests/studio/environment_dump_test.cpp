// Not a check: with REEL_ENV_DUMP=<dir> set, renders the example prompts to PPM
// files there (for looking at them and for docs/images). Skipped otherwise.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "reel/studio/environment.hpp"

namespace {

void write_ppm(const std::string& path, const reel::media::Image& img) {
  std::ofstream f(path, std::ios::binary);
  f << "P6\n" << img.width() << " " << img.height() << "\n255\n";
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      f.write(reinterpret_cast<const char*>(img.u8_pixel(x, y)), 3);
}

TEST(EnvironmentDump, WritesExamples) {
  const char* dir = std::getenv("REEL_ENV_DUMP");
  if (!dir) GTEST_SKIP() << "set REEL_ENV_DUMP=<dir> to write example stills";
  std::vector<std::pair<std::string, std::string>> prompts = {
      {"mars", "a red, rocky Martian plain with a dust storm on the horizon"},
      {"forest", "a forest"},
      {"beach", "a beach"},
      {"city", "a city street"},
      {"mountains", "snowy mountains"},
      {"space", "outer space"},
      {"studio", "plain studio backdrop"},
  };
  if (const char* extra = std::getenv("REEL_ENV_PROMPT")) prompts = {{"custom", extra}};
  int w = 1280, h = 720;
  if (const char* s = std::getenv("REEL_ENV_W")) w = std::atoi(s);
  if (const char* s = std::getenv("REEL_ENV_H")) h = std::atoi(s);
  auto model = reel::studio::make_environment_model();
  auto& t2i = dynamic_cast<reel::model::TextToImage&>(*model);
  for (auto& [name, prompt] : prompts) {
    reel::model::TextToImageRequest req;
    req.prompt = prompt;
    req.width = w;
    req.height = h;
    reel::model::RunContext ctx;
    auto t0 = std::chrono::steady_clock::now();
    auto r = t2i.generate(req, ctx);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-10s %5.3f s  %s\n", name.c_str(), s, prompt.c_str());
    for (auto& n : r.notes) std::printf("   note: %s\n", n.c_str());
    write_ppm(std::string(dir) + "/" + name + ".ppm", r.image);
  }
}

}  // namespace
