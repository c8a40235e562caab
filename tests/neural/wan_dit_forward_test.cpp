#include <gtest/gtest.h>

#include <cmath>

#include "neural/wan_dit.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/tools.hpp"
#include "support/test_dirs.hpp"
#include "wan_dit_test_util.hpp"

namespace reel::neural {
namespace {

using reel::testing::TempDir;
using test::seeded;
using test::tiny_config;

std::unique_ptr<WanDiT> random_dit(const WanConfig& c, WanDiTOptions options = {},
                                   DType dtype = DType::f32) {
  auto dit = std::make_unique<WanDiT>(c, Device::cpu(), dtype, options);
  dit->init_random(42);
  return dit;
}

TEST(WanDiTForward, OffloadIsBitIdentical) {
  TempDir dir;
  for (auto type : {WanModelType::t2v, WanModelType::i2v, WanModelType::ti2v}) {
    auto c = tiny_config(type);
    test::write_checkpoint(dir / "w.safetensors", c, 9);
    WanDiT plain(c, Device::cpu(), DType::f32);
    WanDiT offloaded(c, Device::cpu(), DType::f32, WanDiTOptions{.offload_blocks = true});
    plain.load(dir / "w.safetensors");
    offloaded.load(dir / "w.safetensors");
    EXPECT_GT(offloaded.parameter_bytes().second, 0u);  // blocks really live apart
    EXPECT_EQ(plain.parameter_bytes().second, 0u);
    auto x = seeded({1, c.in_dim, 3, 4, 6}, 1);
    auto t = torch::tensor({731.0f});
    auto ctx = seeded({1, 6, c.text_dim}, 2);
    auto clip = seeded({1, 257, 1280}, 3);
    const torch::Tensor* clip_p = c.has_image_attention() ? &clip : nullptr;
    auto a = plain.forward(x, t, ctx, clip_p);
    auto b = offloaded.forward(x, t, ctx, clip_p);
    EXPECT_TRUE(a.equal(b)) << to_string(type);
    EXPECT_EQ(a.sizes(), (std::vector<std::int64_t>{1, c.out_dim, 3, 4, 6}));
    EXPECT_TRUE(at::isfinite(a).all().item<bool>());
  }
}

TEST(WanDiTForward, PerTokenTimestepEqualsScalarWhenShared) {
  auto c = tiny_config(WanModelType::ti2v);
  auto dit = random_dit(c);
  auto x = seeded({1, c.in_dim, 3, 4, 4}, 4);
  auto ctx = seeded({1, 8, c.text_dim}, 5);
  const std::int64_t tokens = 3 * 2 * 2;
  auto scalar = dit->forward(x, torch::tensor({613.0f}), ctx);
  auto per_token = dit->forward(x, torch::full({1, tokens}, 613.0f), ctx);
  EXPECT_TRUE(scalar.equal(per_token));
  // TI2V's image mode: first latent frame at t = 0. Its output differs from the
  // shared-t run and the other frames are still affected through attention.
  auto mixed_t = torch::full({1, tokens}, 613.0f);
  mixed_t.slice(1, 0, 4).fill_(0.0f);
  auto mixed = dit->forward(x, mixed_t, ctx);
  EXPECT_FALSE(mixed.equal(scalar));
  EXPECT_GT((mixed - scalar).select(2, 0).abs().max().item<double>(), 1e-3);
}

TEST(WanDiTForward, BatchOfTwoEqualsTwoSingles) {
  for (auto type : {WanModelType::t2v, WanModelType::i2v, WanModelType::ti2v}) {
    auto c = tiny_config(type);
    auto dit = random_dit(c);
    auto x = seeded({2, c.in_dim, 2, 4, 6}, 6);
    auto ctx = seeded({2, 7, c.text_dim}, 7);
    auto clip = seeded({2, 257, 1280}, 8);
    auto t = torch::tensor({999.0f, 250.0f});
    const bool img = c.has_image_attention();
    auto both = dit->forward(x, t, ctx, img ? &clip : nullptr);
    for (std::int64_t i = 0; i < 2; ++i) {
      auto ci = clip.slice(0, i, i + 1);
      auto one = dit->forward(x.slice(0, i, i + 1), t.slice(0, i, i + 1), ctx.slice(0, i, i + 1),
                              img ? &ci : nullptr);
      auto diff = (both.slice(0, i, i + 1) - one).abs().max().item<double>();
      EXPECT_LE(diff, 1e-5 * one.abs().max().item<double>()) << to_string(type) << " sample " << i;
    }
    // The two samples differ, so the comparison above can fail.
    EXPECT_GT((both[0] - both[1]).abs().max().item<double>(), 1e-2);
  }
}

TEST(WanDiTForward, ContextPaddingIsZeroTokensAttended) {
  // The official code pads with zeros and attends to them (no mask): giving the zeros
  // explicitly must not change the output, dropping real tokens must.
  auto c = tiny_config();
  auto dit = random_dit(c);
  auto x = seeded({1, c.in_dim, 1, 4, 4}, 9);
  auto t = torch::tensor({100.0f});
  auto ctx = seeded({1, 3, c.text_dim}, 10);
  auto padded = at::cat({ctx, at::zeros({1, c.text_len - 3, c.text_dim})}, 1);
  auto a = dit->forward(x, t, ctx);
  EXPECT_TRUE(a.equal(dit->forward(x, t, padded)));
  EXPECT_FALSE(a.equal(dit->forward(x, t, ctx.slice(1, 0, 2))));
}

std::string input_error(WanDiT& dit, const torch::Tensor& x, const torch::Tensor& t,
                        const torch::Tensor& ctx, const torch::Tensor* clip = nullptr) {
  try {
    dit.forward(x, t, ctx, clip);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    return e.message();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

TEST(WanDiTForward, RejectsBadInputsNamingTheTensor) {
  auto c = tiny_config();
  auto dit = random_dit(c);
  auto x = seeded({1, 4, 1, 4, 4}, 1);
  auto t = torch::tensor({1.0f});
  auto ctx = seeded({1, 3, c.text_dim}, 2);
  auto m = input_error(*dit, seeded({1, 5, 1, 4, 4}, 1), t, ctx);
  EXPECT_NE(m.find("'x' has shape [1, 5, 1, 4, 4], expected [B, 4, F, H, W]"), std::string::npos)
      << m;
  m = input_error(*dit, seeded({1, 4, 1, 5, 4}, 1), t, ctx);
  EXPECT_NE(m.find("multiples of the patch size"), std::string::npos) << m;
  m = input_error(*dit, x, torch::tensor({1.0f, 2.0f}), ctx);
  EXPECT_NE(m.find("'t' has shape [2]"), std::string::npos) << m;
  m = input_error(*dit, x, t, seeded({1, c.text_len + 1, c.text_dim}, 2));
  EXPECT_NE(m.find("'context' has shape [1, 9, 24], expected [1, L ≤ 8, 24]"), std::string::npos)
      << m;
  auto clip = seeded({1, 257, 1280}, 3);
  m = input_error(*dit, x, t, ctx, &clip);
  EXPECT_NE(m.find("only i2v"), std::string::npos) << m;
  auto i2v = random_dit(tiny_config(WanModelType::i2v));
  m = input_error(*i2v, seeded({1, 8, 1, 4, 4}, 1), t, ctx);
  EXPECT_NE(m.find("'clip_fea' is required"), std::string::npos) << m;
}

TEST(WanDiTForward, DitForwardFilesMatchesTheEngine) {
  TempDir dir;
  auto c = tiny_config(WanModelType::i2v);
  test::write_checkpoint(dir / "w.safetensors", c, 21);
  write_file_atomic(dir / "config.json", test::config_json(c).dump());
  auto x = seeded({c.in_dim, 2, 4, 4}, 1);
  auto ctx = seeded({5, c.text_dim}, 2);
  auto clip = seeded({257, 1280}, 3);
  write_safetensors(dir / "in.safetensors",
                    {test::fp32_tensor("x", x), test::fp32_tensor("t", torch::tensor({880.0f})),
                     test::fp32_tensor("context", ctx), test::fp32_tensor("clip_fea", clip)});
  DitForwardOptions o{dir / "config.json", dir / "w.safetensors", dir / "in.safetensors",
                      dir / "out.safetensors"};
  dit_forward_files(o);
  auto out = SafetensorsFile::open(dir / "out.safetensors");
  const TensorInfo* y = out.find("y");
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->dtype, DType::f32);
  EXPECT_EQ(y->shape, (std::vector<std::int64_t>{c.out_dim, 2, 4, 4}));
  auto values = out.to_f32(*y);
  auto from_file = at::from_blob(values.data(), y->shape, at::kFloat).clone();

  WanDiT dit(c, Device::cpu(), DType::f32);
  dit.load(dir / "w.safetensors");
  auto clip_b = clip.unsqueeze(0);
  auto direct = dit.forward(x.unsqueeze(0), torch::tensor({880.0f}), ctx.unsqueeze(0), &clip_b);
  EXPECT_TRUE(from_file.equal(direct.squeeze(0)));

  o.offload = true;
  o.out = dir / "out_offload.safetensors";
  dit_forward_files(o);
  auto out2 = SafetensorsFile::open(o.out);
  EXPECT_EQ(out2.to_f32(*out2.find("y")), values);
}

TEST(WanDiTForward, DitForwardFilesReportsBadInputs) {
  TempDir dir;
  auto c = tiny_config();
  test::write_checkpoint(dir / "w.safetensors", c, 21);
  write_file_atomic(dir / "config.json", test::config_json(c).dump());
  DitForwardOptions o{dir / "config.json", dir / "w.safetensors", dir / "in.safetensors",
                      dir / "out.safetensors"};
  auto expect = [&](std::vector<TensorToWrite> inputs, const std::string& needle) {
    write_safetensors(o.inputs, inputs);
    try {
      dit_forward_files(o);
      ADD_FAILURE() << "accepted; expected " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(o.out));
  };
  auto x = test::fp32_tensor("x", seeded({4, 1, 4, 4}, 1));
  auto t = test::fp32_tensor("t", torch::tensor({5.0f}));
  auto ctx = test::fp32_tensor("context", seeded({3, c.text_dim}, 2));
  expect({t, ctx}, "lack tensor 'x' (expected [4, F, H, W])");
  expect({x, ctx}, "lack tensor 't'");
  expect({x, t}, "lack tensor 'context'");
  expect({test::fp32_tensor("x", seeded({4, 1, 4}, 1)), t, ctx},
         "'x' has shape [4, 1, 4], expected [4, F, H, W]");
  expect({test::fp32_tensor("x", seeded({3, 1, 4, 4}, 1)), t, ctx},
         "'x' has shape [3, 1, 4, 4], expected [4, F, H, W]");
  expect({x, test::fp32_tensor("t", torch::tensor({5.0f, 6.0f})), ctx},
         "'t' has shape [2], expected [1]");
  expect({x, t, test::fp32_tensor("context", seeded({3, 7}, 2))},
         "'context' has shape [3, 7], expected [L ≤ 8, 24]");
}

}  // namespace
}  // namespace reel::neural
