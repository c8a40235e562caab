#include <gtest/gtest.h>

#include "neural/wan_dit.hpp"
#include "neural/wan_weights.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"
#include "wan_dit_test_util.hpp"

namespace reel::neural {
namespace {

using reel::testing::TempDir;
using test::tiny_config;

std::string load_error(const WanConfig& c, const std::filesystem::path& path) {
  WanDiT dit(c, Device::cpu(), DType::f32);
  try {
    dit.load(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "loaded " << path;
  return {};
}

torch::Tensor run_once(WanDiT& dit) {
  const auto& c = dit.config();
  auto x = test::seeded({1, c.in_dim, 2, 4, 4}, 11);
  auto t = torch::tensor({500.0f});
  auto ctx = test::seeded({1, 5, c.text_dim}, 12);
  if (c.has_image_attention()) {
    auto clip = test::seeded({1, 257, 1280}, 13);
    return dit.forward(x, t, ctx, &clip);
  }
  return dit.forward(x, t, ctx);
}

TEST(WanDiTWeights, KeySetIsTheOfficialOne) {
  WanWeights w;
  auto params = wan_parameters(wan_preset("wan2.1-t2v-1.3b"), w);
  // 6 top-level linears/convs ×2 + 30 blocks × (8 linears ×2 + 4 qk norms + norm3 ×2
  // + ffn ×4 + modulation) + head ×2 + head.modulation
  EXPECT_EQ(params.size(), 12u + 30u * (16u + 4u + 2u + 4u + 1u) + 3u);
  std::set<std::string> names;
  std::uint64_t count = 0;
  for (const auto& p : params) {
    names.insert(p.name);
    std::uint64_t n = 1;
    for (auto s : p.shape) n *= s;
    count += n;
  }
  EXPECT_EQ(names.size(), params.size());
  for (const char* n :
       {"patch_embedding.weight", "text_embedding.2.bias", "time_projection.1.weight",
        "blocks.29.self_attn.norm_q.weight", "blocks.0.cross_attn.o.bias", "blocks.7.norm3.weight",
        "blocks.3.ffn.2.weight", "blocks.0.modulation", "head.head.weight", "head.modulation"}) {
    EXPECT_TRUE(names.count(n)) << n;
  }
  // The research file derives 1.419 B parameters for Wan2.1-T2V-1.3B.
  EXPECT_NEAR(static_cast<double>(count) / 1e9, 1.419, 0.001);
  WanWeights w5;
  std::uint64_t count5 = 0;
  for (const auto& p : wan_parameters(wan_preset("wan2.2-ti2v-5b"), w5)) {
    std::uint64_t n = 1;
    for (auto s : p.shape) n *= s;
    count5 += n;
  }
  EXPECT_NEAR(static_cast<double>(count5) / 1e9, 5.000, 0.001);
  WanWeights wi;
  auto i2v = wan_parameters(wan_preset("wan2.1-i2v-14b"), wi);
  std::set<std::string> i2v_names;
  for (const auto& p : i2v) i2v_names.insert(p.name);
  for (const char* n :
       {"blocks.39.cross_attn.k_img.weight", "blocks.0.cross_attn.norm_k_img.weight",
        "img_emb.proj.0.weight", "img_emb.proj.4.bias", "img_emb.proj.3.weight"}) {
    EXPECT_TRUE(i2v_names.count(n)) << n;
  }
}

TEST(WanDiTWeights, TranslatesDiffusersNames) {
  EXPECT_EQ(official_name("blocks.3.attn1.to_q.weight"), "blocks.3.self_attn.q.weight");
  EXPECT_EQ(official_name("blocks.3.attn1.to_out.0.bias"), "blocks.3.self_attn.o.bias");
  EXPECT_EQ(official_name("blocks.12.attn2.add_k_proj.weight"),
            "blocks.12.cross_attn.k_img.weight");
  EXPECT_EQ(official_name("blocks.0.attn2.norm_added_k.weight"),
            "blocks.0.cross_attn.norm_k_img.weight");
  EXPECT_EQ(official_name("blocks.0.norm2.bias"), "blocks.0.norm3.bias");
  EXPECT_EQ(official_name("blocks.0.ffn.net.0.proj.weight"), "blocks.0.ffn.0.weight");
  EXPECT_EQ(official_name("blocks.0.scale_shift_table"), "blocks.0.modulation");
  EXPECT_EQ(official_name("scale_shift_table"), "head.modulation");
  EXPECT_EQ(official_name("proj_out.weight"), "head.head.weight");
  EXPECT_EQ(official_name("condition_embedder.time_proj.bias"), "time_projection.1.bias");
  EXPECT_EQ(official_name("condition_embedder.image_embedder.ff.net.2.weight"),
            "img_emb.proj.3.weight");
  EXPECT_EQ(official_name("model.diffusion_model.blocks.1.ffn.0.weight"), "blocks.1.ffn.0.weight");
  EXPECT_EQ(official_name("blocks.1.self_attn.q.weight"), "blocks.1.self_attn.q.weight");
}

// The inverse of official_name for the tiny model's keys, as a diffusers file names them.
std::string diffusers_name(const std::string& n) {
  static const std::vector<std::pair<std::string, std::string>> top{
      {"time_embedding.0.", "condition_embedder.time_embedder.linear_1."},
      {"time_embedding.2.", "condition_embedder.time_embedder.linear_2."},
      {"time_projection.1.", "condition_embedder.time_proj."},
      {"text_embedding.0.", "condition_embedder.text_embedder.linear_1."},
      {"text_embedding.2.", "condition_embedder.text_embedder.linear_2."},
      {"img_emb.proj.0.", "condition_embedder.image_embedder.norm1."},
      {"img_emb.proj.1.", "condition_embedder.image_embedder.ff.net.0.proj."},
      {"img_emb.proj.3.", "condition_embedder.image_embedder.ff.net.2."},
      {"img_emb.proj.4.", "condition_embedder.image_embedder.norm2."},
      {"head.head.", "proj_out."},
      {"head.modulation", "scale_shift_table"}};
  static const std::vector<std::pair<std::string, std::string>> block{
      {"self_attn.q.", "attn1.to_q."},
      {"self_attn.k.", "attn1.to_k."},
      {"self_attn.v.", "attn1.to_v."},
      {"self_attn.o.", "attn1.to_out.0."},
      {"self_attn.norm_q.", "attn1.norm_q."},
      {"self_attn.norm_k.", "attn1.norm_k."},
      {"cross_attn.q.", "attn2.to_q."},
      {"cross_attn.k.", "attn2.to_k."},
      {"cross_attn.v.", "attn2.to_v."},
      {"cross_attn.o.", "attn2.to_out.0."},
      {"cross_attn.norm_q.", "attn2.norm_q."},
      {"cross_attn.norm_k.", "attn2.norm_k."},
      {"cross_attn.k_img.", "attn2.add_k_proj."},
      {"cross_attn.v_img.", "attn2.add_v_proj."},
      {"cross_attn.norm_k_img.", "attn2.norm_added_k."},
      {"norm3.", "norm2."},
      {"ffn.0.", "ffn.net.0.proj."},
      {"ffn.2.", "ffn.net.2."},
      {"modulation", "scale_shift_table"}};
  if (n.rfind("blocks.", 0) == 0) {
    auto dot = n.find('.', 7);
    auto head = n.substr(0, dot + 1), tail = n.substr(dot + 1);
    for (const auto& [from, to] : block) {
      if (tail.rfind(from, 0) == 0) return head + to + tail.substr(from.size());
    }
    return n;
  }
  for (const auto& [from, to] : top) {
    if (n.rfind(from, 0) == 0) return to + n.substr(from.size());
  }
  return n;
}

TEST(WanDiTWeights, DiffusersAliasesLoadIdentically) {
  TempDir dir;
  for (auto type : {WanModelType::t2v, WanModelType::i2v}) {
    auto c = tiny_config(type);
    test::write_checkpoint(dir / "official.safetensors", c, 7);
    test::write_checkpoint(dir / "diffusers.safetensors", c, 7, diffusers_name);
    test::write_checkpoint(dir / "comfy.safetensors", c, 7,
                           [](const std::string& n) { return "model.diffusion_model." + n; });
    ASSERT_NE(SafetensorsFile::open(dir / "diffusers.safetensors").find("proj_out.weight"),
              nullptr);
    WanDiT a(c, Device::cpu(), DType::f32), b(c, Device::cpu(), DType::f32),
        k(c, Device::cpu(), DType::f32);
    a.load(dir / "official.safetensors");
    b.load(dir / "diffusers.safetensors");
    k.load(dir / "comfy.safetensors");
    auto ya = run_once(a);
    EXPECT_TRUE(ya.equal(run_once(b)));
    EXPECT_TRUE(ya.equal(run_once(k)));
    // A different seed gives a different model: the comparison can fail.
    test::write_checkpoint(dir / "other.safetensors", c, 8);
    WanDiT o(c, Device::cpu(), DType::f32);
    o.load(dir / "other.safetensors");
    EXPECT_FALSE(ya.equal(run_once(o)));
  }
}

TEST(WanDiTWeights, ShardedIndexLoadsLikeOneFile) {
  TempDir dir;
  auto c = tiny_config();
  auto tensors = test::write_checkpoint(dir / "one.safetensors", c, 3);
  std::vector<TensorToWrite> first(tensors.begin(), tensors.begin() + tensors.size() / 2);
  std::vector<TensorToWrite> second(tensors.begin() + tensors.size() / 2, tensors.end());
  write_safetensors(dir / "a.safetensors", first);
  write_safetensors(dir / "b.safetensors", second);
  Json map = Json::object();
  for (const auto& t : first) map[std::get<0>(t)] = "a.safetensors";
  for (const auto& t : second) map[std::get<0>(t)] = "b.safetensors";
  write_file_atomic(dir / "model.safetensors.index.json", Json{{"weight_map", map}}.dump());
  WanDiT one(c, Device::cpu(), DType::f32), sharded(c, Device::cpu(), DType::f32);
  one.load(dir / "one.safetensors");
  sharded.load(dir / "model.safetensors.index.json");
  EXPECT_TRUE(run_once(one).equal(run_once(sharded)));
}

TEST(WanDiTWeights, MismatchesAreOneModelLoadErrorListingThem) {
  TempDir dir;
  auto c = tiny_config();
  // Missing: drop two keys.
  test::write_checkpoint(dir / "missing.safetensors", c, 1, [](const std::string& n) {
    return n == "blocks.1.ffn.0.bias" || n == "head.modulation" ? std::string() : n;
  });
  auto m = load_error(c, dir / "missing.safetensors");
  EXPECT_NE(m.find("2 missing"), std::string::npos) << m;
  EXPECT_NE(m.find("blocks.1.ffn.0.bias"), std::string::npos) << m;
  EXPECT_NE(m.find("head.modulation"), std::string::npos) << m;

  // Unexpected and mis-shaped together: a file for more layers and a wider ffn.
  auto bigger = c;
  bigger.num_layers = 3;
  bigger.ffn_dim = 48;
  test::write_checkpoint(dir / "bigger.safetensors", bigger, 1);
  m = load_error(c, dir / "bigger.safetensors");
  EXPECT_NE(m.find("unexpected: blocks.2."), std::string::npos) << m;
  EXPECT_NE(m.find("mis-shaped"), std::string::npos) << m;
  EXPECT_NE(m.find("blocks.0.ffn.0.weight [48, 32] (expected [64, 32])"), std::string::npos) << m;
  EXPECT_NE(m.find("more)"), std::string::npos) << "a long list is capped: " << m;

  // The same key under its official and its diffusers name.
  auto tensors = test::write_checkpoint(dir / "ok.safetensors", c, 1);
  tensors.push_back(tensors.back());
  std::get<0>(tensors.back()) = "scale_shift_table";
  write_safetensors(dir / "twice.safetensors", tensors);
  m = load_error(c, dir / "twice.safetensors");
  EXPECT_NE(m.find("given twice"), std::string::npos) << m;

  // A non-float tensor.
  tensors.pop_back();
  auto& last = tensors.back();
  std::get<1>(last) = DType::i32;
  m = load_error(c, [&] {
    write_safetensors(dir / "int.safetensors", tensors);
    return dir / "int.safetensors";
  }());
  EXPECT_NE(m.find("not float"), std::string::npos) << m;
}

TEST(WanDiTWeights, ConvertsToTheComputeDtypeOnLoad) {
  TempDir dir;
  auto c = tiny_config();
  test::write_checkpoint(dir / "w.safetensors", c, 5);
  WanDiT f32(c, Device::cpu(), DType::f32), bf16(c, Device::cpu(), DType::bf16);
  f32.load(dir / "w.safetensors");
  bf16.load(dir / "w.safetensors");
  auto [resident32, host32] = f32.parameter_bytes();
  auto [resident16, host16] = bf16.parameter_bytes();
  EXPECT_LT(resident16, resident32);
  EXPECT_EQ(host32 + host16, 0u);
  auto a = run_once(f32), b = run_once(bf16);
  EXPECT_EQ(b.scalar_type(), at::kFloat);  // output is fp32 whatever the compute dtype
  EXPECT_FALSE(a.equal(b));
  EXPECT_LT((a - b).abs().max().item<double>(), 0.1 * a.abs().max().item<double>());
}

TEST(WanDiTWeights, RefusesBeforeAllocatingWhatCannotFit) {
  auto huge = wan_preset("wan2.1-t2v-14b");
  huge.num_layers = 4000;  // ≈1.4 T parameters
  WanDiT dit(huge, Device::cpu(), DType::bf16);
  try {
    dit.load("/nonexistent/weights.safetensors");  // the check comes before any file access
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory) << e.what();
    EXPECT_NE(e.message().find(std::to_string(dit.parameter_bytes().first) + " bytes"),
              std::string::npos)
        << e.what();
    EXPECT_NE(e.message().find("available"), std::string::npos);
  }
}

}  // namespace
}  // namespace reel::neural
