// reel_gallery: renders the studio models' example stills (every character
// archetype and environment scene) into a folder and prints the time each took.
// docs/images/ was made with: build/bin/reel_gallery docs/images 640 360
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/media/png.hpp"
#include "reel/studio/character.hpp"
#include "reel/studio/environment.hpp"

namespace {

struct Example {
  std::string file;
  std::string prompt;
};

void render(reel::model::Model& m, const std::vector<Example>& examples,
            const std::filesystem::path& dir, int w, int h) {
  auto& t2i = dynamic_cast<reel::model::TextToImage&>(m);
  for (const auto& e : examples) {
    reel::model::TextToImageRequest req;
    req.prompt = e.prompt;
    req.width = w;
    req.height = h;
    req.seed = 1;
    reel::model::RunContext ctx;
    auto t0 = std::chrono::steady_clock::now();
    auto r = t2i.generate(req, ctx);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    reel::media::write_png(dir / (e.file + ".png"), r.image);
    std::printf("%-26s %6.3f s  %s\n", e.file.c_str(), s, e.prompt.c_str());
    for (const auto& n : r.notes) std::printf("    note: %s\n", n.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: reel_gallery DIR [WIDTH HEIGHT]\n", stderr);
    return 2;
  }
  try {
    std::filesystem::path dir = argv[1];
    int w = argc > 3 ? std::atoi(argv[2]) : 640, h = argc > 3 ? std::atoi(argv[3]) : 360;
    std::filesystem::create_directories(dir);
    render(*reel::studio::make_character_model(),
           {{"character_astronaut", "an astronaut in a detailed white suit"},
            {"character_robot", "a robot"},
            {"character_woman", "a woman in a red dress"},
            {"character_man", "a man in a green jacket"},
            {"character_cat", "an orange cat"},
            {"character_dog", "a brown dog"}},
           dir, w, h);
    render(*reel::studio::make_environment_model(),
           {{"environment_mars", "a red, rocky Martian plain with a dust storm on the horizon"},
            {"environment_forest", "a forest"},
            {"environment_beach", "a beach"},
            {"environment_city", "a city street"},
            {"environment_mountains", "snowy mountains"},
            {"environment_space", "outer space"},
            {"environment_studio", "plain studio backdrop"}},
           dir, w, h);
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "reel_gallery: %s\n", e.what());
    return reel::exit_code(e.kind());
  }
  return 0;
}
