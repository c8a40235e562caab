#include <gtest/gtest.h>

#include "prov_test_util.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel::provenance {
namespace {
using namespace reel::provenance::testing;

TEST(Policy, CommercialSafeRefusesUndisclosedTrainingData) {
  model::ModelCard c = studio_card("mystery-video");
  c.training_data = model::TrainingData::undisclosed;
  const std::string why = refuse_reason(policy_by_name("commercial-safe"), c);
  EXPECT_NE(why.find("mystery-video"), std::string::npos) << why;
  EXPECT_NE(why.find("training data 'undisclosed' is not allowed by policy commercial-safe"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("synthetic, licensed, public-domain"), std::string::npos) << why;
  c.training_data = model::TrainingData::scraped;
  EXPECT_FALSE(refuse_reason(policy_by_name("commercial-safe"), c).empty());
}

TEST(Policy, CommercialSafeAllowsStudioCards) {
  for (const char* id : {"studio-character", "studio-environment", "studio-animator"})
    EXPECT_EQ(refuse_reason(policy_by_name("commercial-safe"), studio_card(id)), "");
}

TEST(Policy, CommercialSafeRefusesNonCommercialLicences) {
  model::ModelCard c = studio_card("nc-model");
  c.licence = "CC-BY-NC-4.0";
  EXPECT_NE(refuse_reason(policy_by_name("commercial-safe"), c).find("CC-BY-NC-4.0"),
            std::string::npos);
}

TEST(Policy, PermissiveAllowsEverything) {
  model::ModelCard c = studio_card("x");
  c.training_data = model::TrainingData::scraped;
  c.licence = "CC-BY-NC-4.0";
  EXPECT_EQ(refuse_reason(policy_by_name("permissive"), c), "");
}

TEST(Policy, UnknownNameListsTheKnownOnes) {
  try {
    policy_by_name("strict");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("commercial-safe"), std::string::npos);
    EXPECT_NE(e.message().find("permissive"), std::string::npos);
  }
}

TEST(Policy, LoadsAPolicyFileWithALicenceAllowList) {
  reel::testing::TempDir dir;
  const auto path = dir / "studio-only.json";
  std::string text =
      R"({"name": "studio-only", "allowed_training_data": ["synthetic"], "allowed_licences": ["Apache-2.0"]})";
  write_bytes(path, Bytes(text.begin(), text.end()));
  const Policy p = load_policy_file(path);
  EXPECT_EQ(p.name, "studio-only");
  EXPECT_EQ(refuse_reason(p, studio_card("a")), "");
  model::ModelCard mit = studio_card("b");
  mit.licence = "MIT";
  EXPECT_NE(refuse_reason(p, mit).find("licence 'MIT' is not allowed"), std::string::npos);
  model::ModelCard lic = studio_card("c");
  lic.training_data = model::TrainingData::licensed;
  EXPECT_NE(refuse_reason(p, lic).find("training data 'licensed'"), std::string::npos);

  text = R"({"allowed_training_data": ["synthetic"], "typo": 1})";
  write_bytes(path, Bytes(text.begin(), text.end()));
  EXPECT_THROW(load_policy_file(path), Error);
  text = R"({"allowed_training_data": ["made-up"]})";
  write_bytes(path, Bytes(text.begin(), text.end()));
  EXPECT_THROW(load_policy_file(path), Error);
}

}  // namespace
}  // namespace reel::provenance
