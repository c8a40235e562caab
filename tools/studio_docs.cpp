// reel_studio_docs: writes docs/studio.md (the studio models' vocabulary, from the
// parsers' own tables) and renders its pictures, one per subject and per scene, with
// the models themselves. scripts/gen_studio_docs runs it; the studio tests compare the
// markdown and check that every picture exists.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "reel/core/error.hpp"
#include "reel/media/png.hpp"
#include "reel/studio/character.hpp"
#include "reel/studio/environment.hpp"
#include "reel/studio/vocabulary.hpp"

namespace {

constexpr int kWidth = 256, kHeight = 144;

void render_pictures(const std::filesystem::path& docs) {
  auto character = reel::studio::make_character_model();
  auto environment = reel::studio::make_environment_model();
  for (const auto& section : reel::studio::vocabulary()) {
    if (!section.pictured) continue;
    auto& model = dynamic_cast<reel::model::TextToImage&>(
        section.model == character->card().id ? *character : *environment);
    for (const auto& group : section.groups) {
      reel::model::TextToImageRequest req;
      req.prompt = group.words.front();
      req.width = kWidth;
      req.height = kHeight;
      req.seed = 1;
      reel::model::RunContext ctx;
      auto result = model.generate(req, ctx);
      auto path = docs / reel::studio::picture_path(section.model, group.name);
      std::filesystem::create_directories(path.parent_path());
      // Level 9: these are committed, and a few KB each matters more than speed.
      reel::media::write_png(path, result.image, {9});
      std::printf("%s  (%s)\n", path.c_str(), req.prompt.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 ||
      (std::strcmp(argv[1], "--markdown") != 0 && std::strcmp(argv[1], "--pictures") != 0)) {
    std::fputs(
        "usage: reel_studio_docs --markdown FILE   (writes docs/studio.md)\n"
        "       reel_studio_docs --pictures DOCS_DIR (renders DOCS_DIR/images/studio/*.png)\n",
        stderr);
    return 2;
  }
  try {
    if (std::strcmp(argv[1], "--markdown") == 0) {
      std::ofstream out(argv[2], std::ios::binary);
      out << reel::studio::vocabulary_markdown();
      if (!out) throw reel::Error(reel::ErrorKind::Io, std::string("writing ") + argv[2]);
    } else {
      render_pictures(argv[2]);
    }
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "reel_studio_docs: %s\n", e.what());
    return reel::exit_code(e.kind());
  }
  return 0;
}
