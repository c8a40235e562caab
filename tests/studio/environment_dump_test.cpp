// Not a check: with REEL_ENV_DUMP=<dir> set, renders the example prompts to PNG
// files there and prints wall and CPU time per still (docs/images was made with
// REEL_ENV_W=640 REEL_ENV_H=360). REEL_ENV_PROMPT renders one prompt instead.
// Skipped otherwise.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "reel/media/png.hpp"
#include "reel/studio/environment.hpp"

namespace {

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
    std::clock_t c0 = std::clock();
    auto t0 = std::chrono::steady_clock::now();
    auto r = t2i.generate(req, ctx);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("%-10s %5.3f s wall %5.3f cpu-s  %s\n", name.c_str(), s, cpu, prompt.c_str());
    for (auto& n : r.notes) std::printf("   note: %s\n", n.c_str());
    reel::media::write_png(std::string(dir) + "/environment_" + name + ".png", r.image);
  }
}

}  // namespace
