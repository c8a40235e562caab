// Operator prices (--provider-prices FILE / REEL_PROVIDER_PRICES): a model reel's table
// leaves unpriced gets the operator's price rule, a table price is overridden, and a bad
// file is refused whole, naming the entry and what is allowed.
#include <gtest/gtest.h>

#include <fstream>

#include "reel/core/error.hpp"
#include "reel/providers/providers.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;

fs::path write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}

model::Registry registry_with(const providers::ProviderOptions& o) {
  model::Registry r;
  providers::register_models(r, o);
  return r;
}

TEST(OperatorPrices, PriceAModelTheTableLeavesUnpricedAndOverrideATablePrice) {
  testing::TempDir dir;
  providers::ProviderOptions o;
  // Before: an id the table does not know is unpriced; the table's FLUX1.1 [pro] is $0.04.
  {
    model::Registry before = registry_with(o);
    EXPECT_EQ(before.get("fal:someone/model")->card().price.per, model::PricePer::unpriced);
    EXPECT_FALSE(before.get("fal:someone/model")->estimate_usd({}).has_value());
    EXPECT_NEAR(*before.get("bfl:flux-pro-1.1")->estimate_usd({}), 0.04, 1e-12);
  }
  o.load_prices_file(write(dir, "prices.json", R"({
    "fal:someone/model": {"per": "output_second", "usd": 0.08, "source": "fal invoice, 2026-12"},
    "bfl:flux-pro-1.1": {"per": "image", "usd": 0.035, "source": "negotiated rate"},
    "replicate:owner/upscaler": {"per": "megapixel", "usd": 0.01, "source": "replicate page"}
  })"));
  model::Registry r = registry_with(o);

  const model::ModelCard& card = r.get("fal:someone/model")->card();
  EXPECT_EQ(card.price.per, model::PricePer::output_second);
  EXPECT_EQ(card.price.source, "operator's price (prices.json): fal invoice, 2026-12");
  model::PlannedCall clip;
  clip.task = model::Task::image_to_video;
  clip.duration_seconds = 5;
  EXPECT_NEAR(*r.get("fal:someone/model")->estimate_usd(clip), 0.40, 1e-12);

  EXPECT_NEAR(*r.get("bfl:flux-pro-1.1")->estimate_usd({}), 0.035, 1e-12);  // operator wins

  model::PlannedCall still;
  still.width = 2000;
  still.height = 1000;  // 2 MP
  EXPECT_NEAR(*r.get("replicate:owner/upscaler")->estimate_usd(still), 0.02, 1e-12);

  // `reel providers` lists what the operator priced beside the table's models.
  bool listed = false;
  for (const auto& p : providers::provider_infos(o))
    if (p.name == "fal")
      for (const auto& id : p.models) listed |= id == "fal:someone/model";
  EXPECT_TRUE(listed);
}

TEST(OperatorPrices, ABadFileIsRefusedWholeNamingTheEntryAndWhatIsAllowed) {
  testing::TempDir dir;
  struct Bad {
    std::string text, says;
  };
  const std::vector<Bad> bad = {
      {R"([1, 2])", "expected a JSON object"},
      {R"({"nosuch:model": {"per": "image", "usd": 1, "source": "x"}})",
       "entry 'nosuch:model': expected a hosted model id PROVIDER:MODEL; providers: fal"},
      {R"({"studio-character": {"per": "image", "usd": 1, "source": "x"}})", "PROVIDER:MODEL"},
      {R"({"fal:a": {"per": "image", "usd": 1, "source": "x", "currency": "EUR"}})",
       "unknown field 'currency'; allowed: per, usd, source"},
      {R"({"fal:a": {"per": "frame", "usd": 1, "source": "x"}})",
       "\"per\" is 'frame'; allowed: output_second, image or megapixel"},
      {R"({"fal:a": {"per": "machine_time", "usd": 1, "source": "x"}})", "allowed: output_second"},
      {R"({"fal:a": {"per": "image", "usd": -1, "source": "x"}})", "from 0 to 1000"},
      {R"({"fal:a": {"per": "image", "usd": "1", "source": "x"}})", "from 0 to 1000"},
      {R"({"fal:a": {"per": "image", "usd": 1}})", "\"source\" must say where"},
      {R"({"fal:a": "cheap"})", "expected {\"per\""},
      {R"({"fal:a": {"per": "image", "usd": 1, "source": "x"})", "provider prices file"},
  };
  for (const auto& b : bad) {
    providers::ProviderOptions o;
    // A good entry before the bad one: nothing of a refused file is applied.
    std::string text = b.text;
    if (text.size() > 2 && text[0] == '{')
      text = R"({"fal:good": {"per": "image", "usd": 2, "source": "y"}, )" + text.substr(1);
    const fs::path p = write(dir, "bad.json", text);
    try {
      o.load_prices_file(p);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
      EXPECT_NE(std::string(e.what()).find(b.says), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
    EXPECT_TRUE(o.prices.empty()) << text;
  }
  providers::ProviderOptions o;
  try {
    o.load_prices_file(dir / "missing.json");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("missing.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace reel
