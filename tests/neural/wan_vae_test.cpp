// WanVAE in process: configs, parameter names against the Python reference's independent
// list, causality, determinism, and the errors for bad inputs and mismatched checkpoints.
#include "neural/wan_vae.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "neural/reference_case.hpp"
#include "neural/wan_vae_weights.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

using reel::testing::TempDir;

WanVaeConfig tiny(bool v22) {
  auto c = v22 ? WanVaeConfig::wan22() : WanVaeConfig::wan21();
  c.dim = 8;
  c.decoder_dim = v22 ? 16 : 8;
  c.z_dim = v22 ? 12 : 4;
  c.mean.assign(static_cast<std::size_t>(c.z_dim), 0.1f);
  c.std.assign(static_cast<std::size_t>(c.z_dim), 1.5f);
  return c;
}

at::Tensor seeded(std::vector<std::int64_t> shape, std::uint64_t seed, double scale = 1.0) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::normal(0.0, scale, shape, gen).clamp(-1.0, 1.0);
}

template <class Fn>
std::string error_of(ErrorKind kind, Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no reel::Error thrown";
  return {};
}

TEST(WanVaeConfig, OfficialConstants) {
  auto a = WanVaeConfig::wan21();
  EXPECT_EQ(a.spatial_factor(), 8);
  EXPECT_EQ(a.temporal_factor(), 4);
  EXPECT_EQ(a.mean.size(), 16u);
  EXPECT_FLOAT_EQ(a.mean[0], -0.7571f);
  EXPECT_FLOAT_EQ(a.std[15], 1.9160f);
  auto b = WanVaeConfig::wan22();
  EXPECT_EQ(b.spatial_factor(), 16);
  EXPECT_EQ(b.temporal_factor(), 4);
  EXPECT_EQ(b.dim, 160);
  EXPECT_EQ(b.decoder_dim, 256);
  ASSERT_EQ(b.std.size(), 48u);
  EXPECT_FLOAT_EQ(b.mean[0], -0.2289f);
  EXPECT_FLOAT_EQ(b.std[47], 0.7744f);
}

TEST(WanVaeConfig, JsonErrorsNameTheField) {
  TempDir dir;
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "c.json") << text;
    return dir / "c.json";
  };
  EXPECT_NE(error_of(ErrorKind::InvalidInput,
                     [&] { WanVaeConfig::from_json_file(write(R"({"version": "3"})")); })
                .find("\"2.1\" or \"2.2\""),
            std::string::npos);
  EXPECT_NE(error_of(ErrorKind::InvalidInput,
                     [&] {
                       WanVaeConfig::from_json_file(
                           write(R"({"version": "2.1", "z_dim": 4, "mean": [1, 2]})"));
                     })
                .find("z_dim = 4"),
            std::string::npos);
  error_of(ErrorKind::NotFound, [&] { WanVaeConfig::from_json_file(dir / "absent.json"); });
  auto c = WanVaeConfig::from_json_file(write(
      R"({"version": "2.2", "dim": 8, "decoder_dim": 16, "z_dim": 2, "mean": [0, 1], "std": [1, 2]})"));
  EXPECT_TRUE(c.is_v22());
  EXPECT_EQ(c.decoder_dim, 16);
  EXPECT_EQ(c.spatial_factor(), 16);
}

// reel's parameter list for the official configs equals the one the Python reference derives
// on its own (tests/reference/wan_vae.py weight_shapes), name for name and shape for shape.
TEST(WanVaeWeights, OfficialNamesMatchReference) {
  for (bool v22 : {false, true}) {
    auto c = v22 ? WanVaeConfig::wan22() : WanVaeConfig::wan21();
    WanVaeWeights w;
    auto params = wan_vae_parameters(c, w);
    TempDir dir;
    const std::string cmd =
        reference::python() + " -c \"import sys, json; sys.path.insert(0, '" + REEL_SOURCE_DIR +
        "/tests/reference'); import wan_vae; json.dump(wan_vae.weight_shapes({'version': '" +
        (v22 ? "2.2" : "2.1") + "', 'dim': " + std::to_string(c.dim) +
        ", 'decoder_dim': " + std::to_string(c.decoder_dim) +
        ", 'dim_mult': [1, 2, 4, 4], 'num_res_blocks': 2, 'temporal_downsample': [False, True, "
        "True], 'z_dim': " +
        std::to_string(c.z_dim) + "}), open('" + (dir / "s.json").string() + "', 'w'))\"";
    auto r = reel::testing::run_command(cmd, true);
    ASSERT_EQ(r.status, 0) << r.output;
    std::ifstream in(dir / "s.json");
    const Json want = Json::parse(in);
    std::map<std::string, std::vector<std::int64_t>> got;
    std::int64_t count = 0;
    for (const auto& p : params) {
      got[p.name] = p.shape;
      std::int64_t n = 1;
      for (auto s : p.shape) n *= s;
      count += n;
    }
    EXPECT_EQ(got.size(), want.size());
    for (const auto& [name, shape] : want.items()) {
      auto it = got.find(name);
      ASSERT_NE(it, got.end()) << "reel lacks " << name;
      EXPECT_EQ(it->second, shape.get<std::vector<std::int64_t>>()) << name;
    }
    std::printf("[vae] Wan%s VAE: %zu tensors, %lld parameters\n", v22 ? "2.2" : "2.1",
                params.size(), static_cast<long long>(count));
  }
}

TEST(WanVae, BadInputsNameWhatIsAllowed) {
  WanVAE vae(tiny(false), Device::cpu(), DType::f32);
  vae.init_random(3);
  auto msg = error_of(ErrorKind::InvalidInput, [&] { vae.encode(at::zeros({1, 4, 5, 32, 32})); });
  EXPECT_NE(msg.find("[B, 3, 1 + 4k, H, W]"), std::string::npos) << msg;
  msg = error_of(ErrorKind::InvalidInput, [&] { vae.encode(at::zeros({1, 3, 6, 32, 32})); });
  EXPECT_NE(msg.find("1 + 4k frames"), std::string::npos) << msg;
  msg = error_of(ErrorKind::InvalidInput, [&] { vae.encode(at::zeros({1, 3, 5, 36, 32})); });
  EXPECT_NE(msg.find("multiples of 8"), std::string::npos) << msg;
  msg = error_of(ErrorKind::InvalidInput, [&] { vae.decode(at::zeros({1, 5, 2, 4, 4})); });
  EXPECT_NE(msg.find("[B, 4, F, h, w]"), std::string::npos) << msg;
  msg = error_of(ErrorKind::InvalidInput, [&] { vae.set_tiling({true, 20, 8}); });
  EXPECT_NE(msg.find("multiples of 8"), std::string::npos) << msg;
  WanVAE unloaded(tiny(false), Device::cpu(), DType::f32);
  error_of(ErrorKind::InvalidInput, [&] { unloaded.decode(at::zeros({1, 4, 1, 2, 2})); });
}

TEST(WanVae, MismatchedCheckpointListsKeys) {
  TempDir dir;
  reference::make_case(dir.path(), "--kind t2v");  // a DiT checkpoint, not a VAE
  if (::testing::Test::HasFatalFailure()) return;
  WanVAE vae(tiny(true), Device::cpu(), DType::f32);
  auto msg = error_of(ErrorKind::ModelLoad, [&] { vae.load(dir / "weights.safetensors"); });
  EXPECT_NE(msg.find("missing: encoder.conv1.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected"), std::string::npos) << msg;
  error_of(ErrorKind::NotFound, [&] { vae.load(dir / "Wan2.2_VAE.pth"); });
}

// Causal in time: a shorter clip's output is the prefix of the longer one's, and the chunked
// pass is deterministic for a seed.
TEST(WanVae, CausalAndDeterministic) {
  for (bool v22 : {false, true}) {
    WanVAE vae(tiny(v22), Device::cpu(), DType::f32);
    vae.init_random(11);
    const std::int64_t px = v22 ? 32 : 16;
    auto video = seeded({1, 3, 9, px, px}, 5, 0.5);
    auto z_long = vae.encode(video);
    auto z_short = vae.encode(video.slice(2, 0, 5));
    ASSERT_EQ(z_long.size(2), 3);
    EXPECT_TRUE(at::allclose(z_long.slice(2, 0, 2), z_short, 1e-5, 1e-5));
    auto latent = seeded({1, vae.config().z_dim, 3, 2, 2}, 6);
    auto v_long = vae.decode(latent);
    auto v_short = vae.decode(latent.slice(2, 0, 2));
    ASSERT_EQ(v_long.size(2), 9);
    ASSERT_EQ(v_short.size(2), 5);
    EXPECT_TRUE(at::allclose(v_long.slice(2, 0, 5), v_short, 1e-5, 1e-5));
    WanVAE again(tiny(v22), Device::cpu(), DType::f32);
    again.init_random(11);
    EXPECT_TRUE(at::equal(again.decode(latent), v_long));
  }
}

// Progress: one call per chunk, (done, total), tiles multiplying the chunk count.
TEST(WanVae, ReportsEveryChunk) {
  WanVAE vae(tiny(false), Device::cpu(), DType::f32);
  vae.init_random(2);
  std::vector<std::pair<int, int>> calls;
  auto record = [&](int done, int total) { calls.emplace_back(done, total); };
  vae.encode(seeded({1, 3, 9, 16, 16}, 1, 0.5), record);
  EXPECT_EQ(calls, (std::vector<std::pair<int, int>>{{1, 3}, {2, 3}, {3, 3}}));
  calls.clear();
  vae.set_tiling({true, 16, 8});  // 4×4 latent px → 3 × 3 tiles of 2
  vae.decode(seeded({1, 4, 2, 4, 4}, 2), record);
  ASSERT_EQ(calls.size(), 18u);
  EXPECT_EQ(calls.back(), (std::pair<int, int>{18, 18}));
}

}  // namespace
}  // namespace reel::neural
