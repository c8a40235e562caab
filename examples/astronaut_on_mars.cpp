// The astronaut on Mars, written against the C++ SDK: a character still for
// control, an environment still, then the character animated over the environment.
// Usage: example_astronaut_on_mars [OUT.mp4]
#include <cstdio>

#include "reel/core/error.hpp"
#include "reel/sdk/api.hpp"

int main(int argc, char** argv) {
  const char* out = argc > 1 ? argv[1] : "astronaut_on_mars.mp4";
  try {
    auto character = reel::character_api::generate(
        {.prompt = "female astronaut, photorealistic, detailed suit", .style = "4k", .seed = 42});
    auto background = reel::environment_api::generate(
        {.prompt = "surface of Mars, red planet, dust storm in distance", .seed = 42});
    auto video = reel::animator_api::animate_from_image(
        {.base_image = character,
         .background = background,
         .motion = "subtle head turn, looking towards the horizon",
         .seed = 42});
    auto cost_file = video.save(out);
    for (const auto& note : video.notes()) std::fprintf(stderr, "note: %s\n", note.c_str());
    std::printf("wrote %s (%dx%d, %d frames at %.3g fps) and %s\n", out, video.width(),
                video.height(), video.frame_count(), video.fps(), cost_file.c_str());
    std::fputs(video.cost().to_text().c_str(), stdout);
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return reel::exit_code(e.kind());
  }
  return 0;
}
