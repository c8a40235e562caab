// The dit-sample tool end to end on a tiny Wan DiT with seeded random weights: the
// tool's output is the sampling loop's output on the real model, batched CFG matches
// two passes through the real DiT (contexts of different lengths), TI2V keeps its first
// frame, and bad input is refused before the weights load.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "neural/flow_sampler.hpp"
#include "neural/wan_config.hpp"
#include "neural/wan_dit.hpp"
#include "neural/wan_weights.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/flow_tools.hpp"
#include "reel/neural/safetensors.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

using reel::testing::TempDir;
namespace fs = std::filesystem;

// dim 48 / 2 heads → head_dim 24 (RoPE 8/8/8), 2 layers, 4 latent channels.
// i2v: 4 more input channels (the cond tensor) and image cross-attention.
Json tiny_config(const std::string& model_type) {
  const int in_dim = model_type == "i2v" ? 8 : 4;
  return Json{{"model_type", model_type}, {"dim", 48},        {"ffn_dim", 96},
              {"freq_dim", 32},           {"in_dim", in_dim}, {"out_dim", 4},
              {"num_heads", 2},           {"num_layers", 2},  {"text_len", 16},
              {"text_dim", 24},           {"eps", 1e-6},      {"patch_size", {1, 2, 2}}};
}

TensorToWrite f32_tensor(const std::string& name, const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(c.numel()) * sizeof(float));
  std::memcpy(bytes.data(), c.data_ptr<float>(), bytes.size());
  return {name, DType::f32, c.sizes().vec(), std::move(bytes)};
}

torch::Tensor read_f32(const fs::path& path, const std::string& name) {
  auto file = SafetensorsFile::open(path);
  const TensorInfo* info = file.find(name);
  EXPECT_NE(info, nullptr) << name;
  if (!info) return {};
  auto v = file.to_f32(*info);
  return torch::from_blob(v.data(), info->shape, torch::kFloat32).clone();
}

struct Fixture {
  TempDir dir;
  WanConfig config;
  fs::path config_path, weights_path, inputs_path;

  explicit Fixture(const std::string& model_type, bool with_first_frame = false) {
    Json cfg = tiny_config(model_type);
    config = parse_wan_config(cfg, "tiny");
    config_path = dir.path() / "config.json";
    std::ofstream(config_path) << cfg.dump();

    // Seeded random weights of the official names and shapes, saved as F32.
    WanWeights w;
    auto params = wan_parameters(config, w);
    init_wan_weights_random(params, WanPlacement{}, 42);
    std::vector<TensorToWrite> tensors;
    for (const auto& p : params) tensors.push_back(f32_tensor(p.name, *p.slot));
    weights_path = dir.path() / "tiny.safetensors";
    write_safetensors(weights_path, tensors);

    torch::manual_seed(9);
    std::vector<TensorToWrite> inputs = {
        f32_tensor("noise", torch::randn({4, 3, 4, 4})),
        f32_tensor("context", torch::randn({5, 24})),
        f32_tensor("context_null", torch::randn({3, 24})),
    };
    if (with_first_frame) inputs.push_back(f32_tensor("first_frame", torch::randn({4, 1, 4, 4})));
    if (model_type == "i2v") {
      inputs.push_back(f32_tensor("cond", torch::randn({4, 3, 4, 4})));
      inputs.push_back(f32_tensor("clip_fea", torch::randn({257, 1280})));
    }
    inputs_path = dir.path() / "in.safetensors";
    write_safetensors(inputs_path, inputs);
  }

  DitSampleOptions options(const std::string& out_name) const {
    DitSampleOptions o;
    o.config = config_path;
    o.weights = weights_path;
    o.inputs = inputs_path;
    o.out = dir.path() / out_name;
    o.sampler = "unipc";
    o.steps = 4;
    o.shift = 5.0;
    o.guidance = 5.0;
    return o;
  }

  // The same run through flow_sample with the DiT as denoiser.
  torch::Tensor direct(const DitSampleOptions& o) const {
    torch::NoGradGuard no_grad;
    WanDiT dit(config, Device::cpu(), DType::f32);
    dit.load(weights_path);
    FlowSampleInputs in;
    in.noise = read_f32(inputs_path, "noise");
    in.context = read_f32(inputs_path, "context");
    in.context_null = read_f32(inputs_path, "context_null");
    if (SafetensorsFile::open(inputs_path).find("first_frame"))
      in.first_frame = read_f32(inputs_path, "first_frame");
    in.patch_size = config.patch_size;
    torch::Tensor clip;
    if (config.has_image_attention()) {
      in.cond = read_f32(inputs_path, "cond");
      clip = read_f32(inputs_path, "clip_fea").unsqueeze(0);
    }
    FlowSampleOptions opt;
    opt.solver = parse_flow_solver(o.sampler);
    opt.steps = o.steps;
    opt.shift = o.shift;
    opt.guidance = o.guidance;
    opt.batch_cfg = o.batch_cfg;
    FlowDenoiser denoiser = [&](const torch::Tensor& x, const torch::Tensor& t,
                                const torch::Tensor& c) {
      if (!clip.defined()) return dit.forward(x, t, c);
      torch::Tensor clip_b = clip.expand({x.size(0), -1, -1});
      return dit.forward(x, t, c, &clip_b);
    };
    return flow_sample(denoiser, in, opt);
  }
};

TEST(FlowDitSample, ToolOutputIsTheSamplingLoopOnTheModel) {
  Fixture f("t2v");
  auto o = f.options("x0.safetensors");
  std::vector<int> seen;
  o.on_step = [&](int index, int total, double) {
    seen.push_back(index);
    EXPECT_EQ(total, 4);
  };
  dit_sample_files(o);
  torch::Tensor x0 = read_f32(o.out, "x0");
  ASSERT_EQ(x0.sizes().vec(), (std::vector<int64_t>{4, 3, 4, 4}));
  EXPECT_TRUE(torch::isfinite(x0).all().item<bool>());
  EXPECT_TRUE(torch::equal(x0, f.direct(o)));
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3}));
  // The sampler moved the state: the output is not the noise.
  EXPECT_GT((x0 - read_f32(f.inputs_path, "noise")).abs().max().item<double>(), 1e-2);
  EXPECT_EQ(SafetensorsFile::open(o.out).metadata().at("sampler"), "unipc");
}

TEST(FlowDitSample, BatchedGuidanceMatchesTwoPassesThroughTheDiT) {
  // Contexts of 5 and 3 tokens: the batch pads the shorter one with zero rows, which
  // the DiT's own padding to text_len makes exact.
  Fixture f("t2v");
  auto batched = f.options("a.safetensors");
  auto split = f.options("b.safetensors");
  split.batch_cfg = false;
  dit_sample_files(batched);
  dit_sample_files(split);
  const double diff =
      (read_f32(batched.out, "x0") - read_f32(split.out, "x0")).abs().max().item<double>();
  EXPECT_LE(diff, 1e-5);
  RecordProperty("batched_vs_split_max_abs", std::to_string(diff));
  // Euler through the same model differs: the sampler choice reaches the output.
  auto euler = f.options("c.safetensors");
  euler.sampler = "euler";
  dit_sample_files(euler);
  EXPECT_GT((read_f32(euler.out, "x0") - read_f32(batched.out, "x0")).abs().max().item<double>(),
            1e-4);
}

TEST(FlowDitSample, TI2VKeepsTheFirstFrame) {
  Fixture f("ti2v", /*with_first_frame=*/true);
  auto o = f.options("x0.safetensors");
  dit_sample_files(o);
  torch::Tensor x0 = read_f32(o.out, "x0");
  EXPECT_TRUE(torch::equal(x0.slice(1, 0, 1), read_f32(f.inputs_path, "first_frame")));
  EXPECT_TRUE(torch::equal(x0, f.direct(o)));
}

TEST(FlowDitSample, I2VAppendsTheConditionChannelsAndImageFeatures) {
  Fixture f("i2v");
  auto o = f.options("x0.safetensors");
  dit_sample_files(o);
  torch::Tensor x0 = read_f32(o.out, "x0");
  ASSERT_EQ(x0.sizes().vec(), (std::vector<int64_t>{4, 3, 4, 4}));  // out_dim channels
  EXPECT_TRUE(torch::equal(x0, f.direct(o)));
  // Without its cond tensor an i2v run is refused.
  fs::path no_cond = f.dir.path() / "no_cond.safetensors";
  write_safetensors(no_cond, {f32_tensor("noise", torch::randn({4, 3, 4, 4})),
                              f32_tensor("context", torch::randn({5, 24})),
                              f32_tensor("clip_fea", torch::randn({257, 1280}))});
  o.inputs = no_cond;
  o.guidance = 1.0;
  try {
    dit_sample_files(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("cond"), std::string::npos) << e.message();
  }
}

TEST(FlowDitSample, RefusesBadInputBeforeLoadingWeights) {
  Fixture f("t2v");
  auto kind_of = [](const DitSampleOptions& o) {
    try {
      dit_sample_files(o);
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::Internal;
  };
  auto o = f.options("x.safetensors");
  o.weights = f.dir.path() / "missing.safetensors";  // never reached
  o.sampler = "ddim";
  EXPECT_EQ(kind_of(o), ErrorKind::InvalidInput);
  o = f.options("x.safetensors");
  o.weights = f.dir.path() / "missing.safetensors";
  o.steps = 0;
  EXPECT_EQ(kind_of(o), ErrorKind::InvalidInput);

  // guidance != 1 without context_null
  torch::manual_seed(1);
  fs::path no_null = f.dir.path() / "no_null.safetensors";
  write_safetensors(no_null, {f32_tensor("noise", torch::randn({4, 3, 4, 4})),
                              f32_tensor("context", torch::randn({5, 24}))});
  o = f.options("x.safetensors");
  o.weights = f.dir.path() / "missing.safetensors";
  o.inputs = no_null;
  EXPECT_EQ(kind_of(o), ErrorKind::InvalidInput);
  // ... fine at guidance 1 (and this one does load the weights).
  o.weights = f.weights_path;
  o.guidance = 1.0;
  o.out = f.dir.path() / "guidance1.safetensors";
  EXPECT_NO_THROW(dit_sample_files(o));

  // first_frame on a t2v model; wrong channel count.
  fs::path bad = f.dir.path() / "bad.safetensors";
  write_safetensors(bad, {f32_tensor("noise", torch::randn({4, 3, 4, 4})),
                          f32_tensor("context", torch::randn({5, 24})),
                          f32_tensor("first_frame", torch::randn({4, 1, 4, 4}))});
  o = f.options("x.safetensors");
  o.weights = f.dir.path() / "missing.safetensors";
  o.inputs = bad;
  o.guidance = 1.0;
  EXPECT_EQ(kind_of(o), ErrorKind::InvalidInput);
  write_safetensors(bad, {f32_tensor("noise", torch::randn({5, 3, 4, 4})),
                          f32_tensor("context", torch::randn({5, 24}))});
  EXPECT_EQ(kind_of(o), ErrorKind::InvalidInput);
  EXPECT_FALSE(fs::exists(o.out));
}

TEST(FlowDitSample, CommandLineRunsAndReportsBadOptions) {
  Fixture f("t2v");
  const fs::path bin = fs::path(REEL_BINARY_DIR) / "bin" / "reel-neural";
  ASSERT_TRUE(fs::exists(bin)) << bin << " (build the reel-neural target)";
  const fs::path out = f.dir.path() / "cli.safetensors";
  const std::string common = bin.string() + " dit-sample --config " + f.config_path.string() +
                             " --weights " + f.weights_path.string() + " --inputs " +
                             f.inputs_path.string() + " --out " + out.string() +
                             " --dtype fp32 --quiet >/dev/null";
  ASSERT_EQ(std::system((common + " --sampler unipc --steps 4 --shift 5 --guidance 5").c_str()), 0);
  auto o = f.options("ref.safetensors");
  dit_sample_files(o);
  EXPECT_TRUE(torch::equal(read_f32(out, "x0"), read_f32(o.out, "x0")));

  const int rc = std::system((common + " --sampler heun 2>/dev/null").c_str());
  EXPECT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), exit_code(ErrorKind::InvalidInput));
}

}  // namespace
}  // namespace reel::neural
