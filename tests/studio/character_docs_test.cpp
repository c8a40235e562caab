// Regenerates the example stills in docs/images when REEL_WRITE_DOCS_IMAGES is set
// (skipped otherwise, so the normal suite never touches the source tree).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "character_test_util.hpp"
#include "reel/media/png.hpp"

namespace reel::studio {
namespace {

TEST(CharacterDocs, WriteExampleStills) {
  if (!std::getenv("REEL_WRITE_DOCS_IMAGES")) GTEST_SKIP() << "set REEL_WRITE_DOCS_IMAGES=1";
  const std::pair<const char*, const char*> examples[] = {
      {"astronaut", "an astronaut in a detailed white suit"},
      {"robot", "a robot"},
      {"woman", "a woman in a red dress"},
      {"man", "a man in a green jacket"},
      {"cat", "an orange cat"},
      {"dog", "a brown dog"},
  };
  std::filesystem::path dir = std::filesystem::path(REEL_SOURCE_DIR) / "docs" / "images";
  std::filesystem::create_directories(dir);
  for (auto [archetype, prompt] : examples) {
    auto r = testing::make_character(prompt, 1, 640, 360);
    EXPECT_EQ(testing::archetype_of(r), archetype);
    media::write_png(dir / (std::string("character_") + archetype + ".png"), r.image);
  }
}

}  // namespace
}  // namespace reel::studio
