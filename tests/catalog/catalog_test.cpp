// The model-family seam: one table registers every family for every entry point, and
// nothing outside the table and a family's own files registers models.
#include "reel/catalog/catalog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "reel/core/error.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;

TEST(Catalog, EveryFamilyRegistersModelsWithUniqueIdsStudioFirst) {
  catalog::BackendOptions o;
  o.wan = wan::WanOptions{};  // no weights: Wan models are listed, not available
  std::set<std::string> ids;
  for (const catalog::Family& f : catalog::families()) {
    model::Registry alone;
    f.register_models(alone, o);
    EXPECT_FALSE(alone.models().empty()) << f.name;
    for (const auto& m : alone.models()) EXPECT_TRUE(ids.insert(m->card().id).second);
  }
  model::Registry all;
  catalog::register_builtin_models(all, o);
  ASSERT_EQ(all.models().size(), ids.size());
  // The offline models come first, so pick() never chooses one that needs weights or keys.
  EXPECT_EQ(all.models().front()->card().id.rfind("studio-", 0), 0u);
  EXPECT_EQ(all.pick(model::Task::image_to_video)->card().id, "studio-animator");
}

TEST(Catalog, AvailabilityIsStructuredAndCardsReadNoFiles) {
  catalog::BackendOptions o;
  o.wan = wan::WanOptions{};
  model::Registry r;
  catalog::register_builtin_models(r, o);
  for (const auto& m : r.models()) {
    const model::ModelCard& c = m->card();
    const Json j = c.to_json()["availability"];
    ASSERT_TRUE(j.is_object()) << c.id;
    EXPECT_EQ(j["available"], c.availability.available) << c.id;
    EXPECT_TRUE(j["needs"].is_array()) << c.id;
    // An unavailable model says what it needs; an available one needs nothing.
    EXPECT_EQ(c.availability.available, c.availability.needs.empty()) << c.id;
    if (c.id.rfind("studio-", 0) == 0) {
      EXPECT_TRUE(c.availability.available) << c.id;
    }
    // A card reference survives a refresh (listings hold them while a run refreshes).
    const model::ModelCard* before = &m->card();
    m->refresh();
    EXPECT_EQ(before->id, c.id);
  }
}

// Registration lives in one table: a `register_models(` call anywhere in src/, apps/ or
// python/ outside src/catalog/ is a second place a family must be added (the issue
// counted eight). A family's own definition (`void register_models(`) is its own file.
TEST(Catalog, NoEntryPointRegistersFamiliesByHand) {
  const fs::path root = REEL_SOURCE_DIR;
  const std::regex call(R"((\w+)::register_models\s*\()");
  std::vector<std::string> offenders;
  for (const char* dir : {"src", "apps", "python"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      const std::string ext = e.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp") continue;
      if (e.path().parent_path().filename() == "catalog") continue;
      std::ifstream in(e.path());
      std::stringstream text;
      text << in.rdbuf();
      const std::string s = text.str();
      for (std::sregex_iterator it(s.begin(), s.end(), call), end; it != end; ++it)
        offenders.push_back(fs::relative(e.path(), root).string() + ": " + it->str());
    }
  }
  EXPECT_TRUE(offenders.empty()) << [&] {
    std::string all;
    for (const auto& o : offenders) all += o + "\n";
    return all;
  }();
}

}  // namespace
}  // namespace reel
