#include <gtest/gtest.h>

#include "neural/wan_config.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

// The published Wan2.1-T2V-1.3B config.json keys.
Json published_1_3b() {
  return Json::parse(R"({"_class_name": "WanModel", "_diffusers_version": "0.30.0",
    "dim": 1536, "eps": 1e-06, "ffn_dim": 8960, "freq_dim": 256, "in_dim": 16,
    "model_type": "t2v", "num_heads": 12, "num_layers": 30, "out_dim": 16, "text_len": 512})");
}

std::string error_of(const Json& j) {
  try {
    parse_wan_config(j, "config.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    return e.what();
  }
  ADD_FAILURE() << "accepted " << j.dump();
  return {};
}

TEST(WanConfig, ParsesThePublishedKeys) {
  auto c = parse_wan_config(published_1_3b(), "config.json");
  EXPECT_EQ(c.model_type, WanModelType::t2v);
  EXPECT_EQ(c.dim, 1536);
  EXPECT_EQ(c.ffn_dim, 8960);
  EXPECT_EQ(c.num_heads, 12);
  EXPECT_EQ(c.num_layers, 30);
  EXPECT_EQ(c.text_dim, 4096);  // default when absent
  EXPECT_EQ(c.patch_size, (std::array<std::int64_t, 3>{1, 2, 2}));
  EXPECT_DOUBLE_EQ(c.eps, 1e-6);
  auto j = published_1_3b();
  j["text_dim"] = 1024;
  j["patch_size"] = {1, 4, 4};
  c = parse_wan_config(j, "config.json");
  EXPECT_EQ(c.text_dim, 1024);
  EXPECT_EQ(c.patch_size[2], 4);
}

TEST(WanConfig, LoadsFromAFile) {
  reel::testing::TempDir dir;
  write_file_atomic(dir / "config.json", published_1_3b().dump());
  EXPECT_EQ(load_wan_config(dir / "config.json").dim, 1536);
  EXPECT_THROW(load_wan_config(dir / "absent.json"), Error);
}

TEST(WanConfig, RopeSplitIsTheOfficialOne) {
  auto split = wan_preset("wan2.1-t2v-1.3b").rope_split();
  EXPECT_EQ(split, (std::array<std::int64_t, 3>{44, 42, 42}));
  WanConfig c;
  c.dim = 64;
  c.num_heads = 4;  // head_dim 16 → 16 - 4·2 = 8, 4, 4
  EXPECT_EQ(c.rope_split(), (std::array<std::int64_t, 3>{8, 4, 4}));
}

TEST(WanConfig, PresetsMatchThePublishedTable) {
  auto p14 = wan_preset("wan2.1-t2v-14b");
  EXPECT_EQ(p14.dim, 5120);
  EXPECT_EQ(p14.ffn_dim, 13824);
  EXPECT_EQ(p14.num_heads, 40);
  EXPECT_EQ(p14.num_layers, 40);
  auto i2v = wan_preset("wan2.1-i2v-14b");
  EXPECT_EQ(i2v.model_type, WanModelType::i2v);
  EXPECT_EQ(i2v.in_dim, 36);
  EXPECT_TRUE(i2v.has_image_attention());
  auto ti2v = wan_preset("wan2.2-ti2v-5b");
  EXPECT_EQ(ti2v.model_type, WanModelType::ti2v);
  EXPECT_EQ(ti2v.dim, 3072);
  EXPECT_EQ(ti2v.ffn_dim, 14336);
  EXPECT_EQ(ti2v.num_heads, 24);
  EXPECT_EQ(ti2v.in_dim, 48);
  EXPECT_EQ(ti2v.out_dim, 48);
  for (const auto& name : wan_preset_names()) {
    EXPECT_NO_THROW(wan_preset(name).validate()) << name;
    EXPECT_EQ(wan_preset(name).head_dim(), 128) << name;
  }
  try {
    wan_preset("wan9-huge");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("wan2.2-ti2v-5b"), std::string::npos);
  }
}

TEST(WanConfig, RejectsBadConfigsWithClearMessages) {
  auto j = published_1_3b();
  j["num_heads"] = 7;
  EXPECT_NE(error_of(j).find("not a multiple of num_heads"), std::string::npos);
  j = published_1_3b();
  j["dim"] = 12 * 5;  // head_dim 5: odd
  EXPECT_NE(error_of(j).find("must be even"), std::string::npos);
  j = published_1_3b();
  j["dim"] = 12 * 14;  // head_dim 14 → split 6/4/4 fine; 12 * 10 → 10 - 4 = 6, 2, 2 fine
  EXPECT_NO_THROW(parse_wan_config(j, "c"));
  j["dim"] = 12 * 8;  // head_dim 8 → 8 - 4 = 4, 2, 2 → fine too
  EXPECT_NO_THROW(parse_wan_config(j, "c"));
  j["dim"] = 12 * 4;  // head_dim 4 → too small for three axes
  EXPECT_NE(error_of(j).find("at least 6"), std::string::npos);
  j = published_1_3b();
  j["model_type"] = "flf2v";
  EXPECT_NE(error_of(j).find("allowed: t2v, i2v, ti2v"), std::string::npos);
  j = published_1_3b();
  j.erase("dim");
  EXPECT_NE(error_of(j).find("missing key \"dim\""), std::string::npos);
  j = published_1_3b();
  j["ffn_dim"] = -3;
  EXPECT_NE(error_of(j).find("\"ffn_dim\" must be a positive integer"), std::string::npos);
  j = published_1_3b();
  j["patch_size"] = {1, 2};
  EXPECT_NE(error_of(j).find("patch_size"), std::string::npos);
  j = published_1_3b();
  j["window_size"] = {256, 256};
  EXPECT_NE(error_of(j).find("only global attention"), std::string::npos);
  j = published_1_3b();
  j["eps"] = "small";
  EXPECT_NE(error_of(j).find("\"eps\" must be a number"), std::string::npos);
  EXPECT_NE(error_of(Json::array()).find("JSON object"), std::string::npos);
}

}  // namespace
}  // namespace reel::neural
