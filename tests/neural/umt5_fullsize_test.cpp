// umT5-XXL at full size (RAM ~12 GB, disk 11.4 GB, ~3.5 min; runs alone in neural_fullsize):
// - the complete XXL key set and shapes (24 layers, vocab 256384, 242 tensors) under the
//   official and the Hugging Face names, from 11.4 GB BF16 safetensors files written
//   sparse (header only; no disk blocks for the data): the binding and shape check of
//   both name sets, and refusals of near-miss configs;
// - the real thing: a 24-layer XXL checkpoint of random BF16 values in the official
//   layout (an 11.4 GB torch.save .pth, so a ZIP64 archive as the published file is),
//   loaded and run in BF16 against the Python reference run in BF16 on the same weights,
//   with the resident anonymous memory after loading ≈ the weights once.
// The dense .pth is written by tests/reference/make_umt5_fullsize.py at test time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "neural/umt5.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/neural/safetensors.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

using reel::testing::TempDir;

// Resident anonymous memory (heap, not the mapped checkpoint file) of this process.
std::uint64_t rss_anon_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  std::uint64_t kb = 0;
  while (status >> key) {
    if (key == "RssAnon:") {
      status >> kb;
      return kb * 1024;
    }
    status.ignore(1 << 12, '\n');
  }
  return 0;
}

at::Tensor read(const std::filesystem::path& file, const std::string& name) {
  auto f = SafetensorsFile::open(file);
  const TensorInfo* info = f.find(name);
  EXPECT_NE(info, nullptr) << name;
  if (info->dtype == DType::i64) {
    at::Tensor t = at::empty(info->shape, at::kLong);
    std::memcpy(t.data_ptr(), f.data(*info).data(), f.data(*info).size());
    return t;
  }
  auto v = f.to_f32(*info);
  return at::from_blob(v.data(), info->shape, at::kFloat).clone();
}

// The Hugging Face name of an official one, spelled out here independently of the loader.
std::string hf_name(const std::string& official) {
  if (official == "token_embedding.weight") return "shared.weight";
  if (official == "norm.weight") return "encoder.final_layer_norm.weight";
  const auto dot = official.find('.', 7);
  const std::string n = official.substr(7, dot - 7), rest = official.substr(dot + 1);
  const std::string b = "encoder.block." + n + ".layer.";
  if (rest == "norm1.weight") return b + "0.layer_norm.weight";
  if (rest == "norm2.weight") return b + "1.layer_norm.weight";
  if (rest == "pos_embedding.embedding.weight") {
    return b + "0.SelfAttention.relative_attention_bias.weight";
  }
  if (rest.starts_with("attn.")) return b + "0.SelfAttention." + rest.substr(5);
  if (rest == "ffn.gate.0.weight") return b + "1.DenseReluDense.wi_0.weight";
  if (rest == "ffn.fc1.weight") return b + "1.DenseReluDense.wi_1.weight";
  if (rest == "ffn.fc2.weight") return b + "1.DenseReluDense.wo.weight";
  ADD_FAILURE() << "no HF name for " << official;
  return official;
}

// A BF16 safetensors file of every XXL parameter whose data region is a hole: the file
// has its full 11.4 GB size but takes only the header's disk blocks.
void write_sparse_xxl(const std::filesystem::path& path, bool hf_names) {
  UMT5Weights w;
  Json header = Json::object();
  std::uint64_t offset = 0;
  for (const auto& p : umt5_parameters(UMT5Config::xxl(), w)) {
    std::uint64_t n = 2;
    for (auto s : p.shape) n *= static_cast<std::uint64_t>(s);
    header[hf_names ? hf_name(p.name) : p.name] = {
        {"dtype", "BF16"}, {"shape", p.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  {
    std::ofstream out(path, std::ios::binary);
    const std::uint64_t len = text.size();
    out.write(reinterpret_cast<const char*>(&len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  std::filesystem::resize_file(path, 8 + text.size() + offset);
}

class Umt5Fullsize : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto start = std::chrono::steady_clock::now();
    const std::string cmd = "/usr/bin/python3 '" REEL_SOURCE_DIR
                            "/tests/reference/make_umt5_fullsize.py' --layers 24 --out '" +
                            dir_->path().string() + "'";
    const auto r = reel::testing::run_command(cmd, true);
    ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
    std::printf("[ measured ] reference wrote the XXL files in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
};
TempDir* Umt5Fullsize::dir_ = nullptr;

TEST_F(Umt5Fullsize, OfficialXxlKeySetAndShapesBind) {
  const auto xxl = UMT5Config::xxl();
  EXPECT_EQ(xxl.parameter_count(), 5'680'910'336);  // 11.4 GB in BF16
  UMT5Weights w;
  const auto params = umt5_parameters(xxl, w);
  EXPECT_EQ(params.size(), 242u);
  write_sparse_xxl(*dir_ / "xxl.safetensors", false);
  write_sparse_xxl(*dir_ / "xxl_hf.safetensors", true);
  EXPECT_EQ(std::filesystem::file_size(*dir_ / "xxl.safetensors") / 1'000'000'000, 11u);
  EXPECT_NO_THROW(check_umt5_checkpoint(*dir_ / "xxl.safetensors", params));
  EXPECT_NO_THROW(check_umt5_checkpoint(*dir_ / "xxl_hf.safetensors", params));

  auto refused = [&](UMT5Config c, const std::string& needle) {
    UMT5Weights w2;
    try {
      check_umt5_checkpoint(*dir_ / "xxl_hf.safetensors", umt5_parameters(c, w2));
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto c = xxl;
  c.num_layers = 23;
  refused(c, "10 unexpected: encoder.block.23.");
  c = xxl;
  c.dim_ffn = 10241;
  refused(
      c,
      "encoder.block.0.layer.1.DenseReluDense.wi_1.weight [10240, 4096] (expected [10241, 4096])");
  c = xxl;
  c.vocab = 32128;  // a T5 (not umT5) vocabulary
  refused(c, "shared.weight [256384, 4096] (expected [32128, 4096])");
}

TEST_F(Umt5Fullsize, FullXxlCheckpointLoadsOnceAndMatchesTheReferenceInBf16) {
  const auto config = UMT5Config::from_json_file(*dir_ / "dense_config.json");
  ASSERT_EQ(config.dim, 4096);
  ASSERT_EQ(config.vocab, 256384);
  ASSERT_EQ(config.num_layers, 24);
  ASSERT_EQ(config.parameter_count(), UMT5Config::xxl().parameter_count());
  // Over 4 GiB: torch.save wrote a ZIP64 archive, which PthFile must follow.
  EXPECT_GT(std::filesystem::file_size(*dir_ / "dense.pth"), 11'000'000'000u);
  const std::uint64_t weight_bytes = static_cast<std::uint64_t>(config.parameter_count()) * 2;
  const auto before = rss_anon_bytes();
  UMT5Encoder enc(config, Device::cpu(), DType::bf16);
  auto start = std::chrono::steady_clock::now();
  enc.load(*dir_ / "dense.pth");
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto after = rss_anon_bytes();
  std::printf("[ measured ] %.2f GB of BF16 weights loaded in %.1f s; anonymous RSS +%.2f GB\n",
              weight_bytes / 1e9, load_s, (after - before) / 1e9);
  // The file dtype is the compute dtype: each tensor is copied once out of the mapping.
  EXPECT_LT(after - before, weight_bytes + weight_bytes / 10);

  const auto ids = read(*dir_ / "dense_expected.safetensors", "ids");
  const auto mask = read(*dir_ / "dense_expected.safetensors", "mask");
  const auto ref_bf16 = read(*dir_ / "dense_expected.safetensors", "y");
  const auto ref_fp32 = read(*dir_ / "dense_expected.safetensors", "y_fp32");
  start = std::chrono::steady_clock::now();
  const auto y = enc.forward(ids, mask);
  const double fwd_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(y.sizes(), ref_fp32.sizes());
  ASSERT_TRUE(y.isfinite().all().item<bool>());
  // Relative RMS error against the fp32 computation on the same weights. Over 24 BF16
  // layers any two BF16 runs drift apart (kernels round differently), so the bar is the
  // reference's own BF16 drift: reel in BF16 must be about as close to fp32 as it is.
  auto rel = [](const at::Tensor& a, const at::Tensor& b) {
    return ((a - b).norm() / b.norm()).item<double>();
  };
  const double reel_err = rel(y, ref_fp32), ref_err = rel(ref_bf16, ref_fp32);
  const double cross = rel(y, ref_bf16);
  std::printf(
      "[ measured ] forward [2, 24] in %.2f s; relative RMS error vs fp32: reel bf16 %.4f, "
      "reference bf16 %.4f; reel vs reference bf16 %.4f; max |reel - fp32| %.3g "
      "(output max %.3g)\n",
      fwd_s, reel_err, ref_err, cross, (y - ref_fp32).abs().max().item<double>(),
      ref_fp32.abs().max().item<double>());
  EXPECT_GT(ref_fp32.abs().max().item<double>(), 1.0);
  // Measured: 0.0185 for both, and 0.0060 between them (2-core VM).
  EXPECT_LE(reel_err, 1.25 * ref_err + 1e-3);
  EXPECT_LE(cross, ref_err);
}

}  // namespace
}  // namespace reel::neural
