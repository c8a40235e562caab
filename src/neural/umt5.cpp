#include "neural/umt5.hpp"

#include <cmath>
#include <limits>

#include "neural/runtime.hpp"
#include "neural/torch_compat.hpp"
#include "reel/core/error.hpp"

namespace reel::neural {

namespace {

// T5 RMSNorm as the official T5LayerNorm: the mean square in fp32, the normalised value
// cast back to the weight's dtype when that is 16-bit, then scaled.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, float eps) {
  auto y = x * at::rsqrt(x.to(at::kFloat).pow(2).mean(-1, true) + eps);
  if (weight.scalar_type() != at::kFloat) y = y.to(weight.scalar_type());
  return weight * y;
}

// The official tanh GELU, written op by op so 16-bit compute rounds where it does.
at::Tensor gelu_tanh(const at::Tensor& x) {
  const double k = std::sqrt(2.0 / M_PI);
  return (0.5 * x) * (1.0 + at::tanh(k * (x + 0.044715 * at::pow(x, 3.0))));
}

double lowest(at::ScalarType t) {
  switch (t) {
    case at::kBFloat16:
      return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    case at::kHalf:
      return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
    default:
      return static_cast<double>(std::numeric_limits<float>::lowest());
  }
}

// fp16 only: the official code clamps an overflowing residual stream back into range.
at::Tensor fp16_clamp(at::Tensor x) {
  if (x.scalar_type() != at::kHalf || !at::isinf(x).any().item<bool>()) return x;
  const double c = 65504.0 - 1000.0;
  return at::clamp(x, -c, c);
}

}  // namespace

at::Tensor umt5_position_buckets(std::int64_t lq, std::int64_t lk, int num_buckets,
                                 int max_distance, c10::Device device) {
  auto opts = at::TensorOptions().dtype(at::kLong).device(device);
  at::Tensor rel = at::arange(lk, opts).unsqueeze(0) - at::arange(lq, opts).unsqueeze(1);
  // Bidirectional: half the buckets for keys after the query, half for the rest.
  const std::int64_t half = num_buckets / 2;
  at::Tensor buckets = rel.gt(0).to(at::kLong) * half;
  rel = rel.abs();
  const std::int64_t max_exact = half / 2;
  // Same float32 ops as the official code, so boundary distances land in the same bucket.
  at::Tensor large = (at::log(rel.to(at::kFloat) / static_cast<double>(max_exact)) /
                      std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)) *
                      static_cast<double>(half - max_exact))
                         .to(at::kLong) +
                     max_exact;
  large = at::minimum(large, at::full_like(large, half - 1));
  return buckets + at::where(rel.lt(max_exact), rel, large);
}

UMT5Encoder::UMT5Encoder(UMT5Config config, Device device, DType compute)
    : config_(config), device_(device), compute_(compute) {
  config_.validate("umT5 config");
  if (compute == DType::f16 && !device.is_cuda() && !compat::kHasCpuHalfKernels) {
    throw Error(ErrorKind::Unsupported,
                "fp16 compute on the CPU is not supported by this LibTorch (1.13 has no fp16 "
                "CPU matmul); use fp32 or bf16");
  }
  init_threads();
  torch_device_ = to_torch(device);
  scalar_ = to_scalar_type(compute);
  weights_ = std::make_unique<UMT5Weights>();
}

namespace {

// Fills every parameter by `fill` after checking that the weights fit on the device;
// an allocation failure becomes OutOfMemory naming `what`.
template <class Fill>
void fill_umt5_weights(const UMT5Config& config, UMT5Weights& weights, Device device,
                       at::ScalarType scalar, const char* what, Fill fill) {
  auto params = umt5_parameters(config, weights);
  const auto bytes = static_cast<std::uint64_t>(config.parameter_count()) *
                     static_cast<std::uint64_t>(c10::elementSize(scalar));
  check_fits(what, device, bytes);
  guard_memory(what, device, bytes, [&] { fill(params); });
}

}  // namespace

void UMT5Encoder::load(const std::filesystem::path& weights) {
  fill_umt5_weights(config_, *weights_, device_, scalar_, "loading umT5 weights",
                    [&](auto& p) { load_umt5_weights(weights, p, scalar_, torch_device_); });
  loaded_ = true;
}

void UMT5Encoder::init_random(std::uint64_t seed) {
  fill_umt5_weights(config_, *weights_, device_, scalar_, "initialising umT5 weights",
                    [&](auto& p) { init_umt5_weights_random(p, scalar_, torch_device_, seed); });
  loaded_ = true;
}

void UMT5Encoder::check_inputs(const at::Tensor& ids, const at::Tensor& mask) const {
  if (!loaded_) throw Error(ErrorKind::InvalidInput, "umT5 encoder has no weights loaded");
  auto shape = [](const at::Tensor& t) {
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
  };
  if (!ids.defined() || ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 1) {
    throw Error(ErrorKind::InvalidInput, "umT5 ids must be [B, L] with B, L ≥ 1, got " +
                                             (ids.defined() ? shape(ids) : std::string("none")));
  }
  if (ids.scalar_type() != at::kLong && ids.scalar_type() != at::kInt) {
    throw Error(ErrorKind::InvalidInput, "umT5 ids must be int64 or int32 token ids");
  }
  if (!mask.defined() || mask.sizes() != ids.sizes()) {
    throw Error(ErrorKind::InvalidInput, "umT5 mask must have the ids' shape " + shape(ids) +
                                             ", got " +
                                             (mask.defined() ? shape(mask) : std::string("none")));
  }
  const auto lo = ids.min().item<std::int64_t>(), hi = ids.max().item<std::int64_t>();
  if (lo < 0 || hi >= config_.vocab) {
    throw Error(ErrorKind::InvalidInput, "umT5 token ids must lie in [0, " +
                                             std::to_string(config_.vocab) + "), got [" +
                                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  auto m = mask.to(at::kDouble);
  if (!at::logical_or(m.eq(0), m.eq(1)).all().item<bool>()) {
    throw Error(ErrorKind::InvalidInput, "umT5 mask values must be 0 (pad) or 1 (real token)");
  }
}

at::Tensor UMT5Encoder::forward(const at::Tensor& ids_in, const at::Tensor& mask_in) {
  check_inputs(ids_in, mask_in);
  at::NoGradGuard no_grad;
  const auto& w = *weights_;
  const auto& c = config_;
  const at::Tensor ids = ids_in.to(torch_device_, at::kLong);
  const at::Tensor mask = mask_in.to(torch_device_);
  const std::int64_t b = ids.size(0), l = ids.size(1), n = c.num_heads,
                     hd = c.dim_attn / c.num_heads;

  at::Tensor x = at::embedding(w.token_embedding, ids);  // [B, L, dim], compute dtype
  const at::Tensor buckets =
      umt5_position_buckets(l, l, c.num_buckets, c.max_distance, torch_device_);
  // Pad keys get the dtype's lowest value, as the official masked_fill does.
  const at::Tensor pad = mask.eq(0).view({b, 1, 1, l});
  const double masked = lowest(scalar_);

  for (const auto& blk : w.blocks) {
    // Self-attention, unscaled (T5), with this layer's own relative position bias.
    at::Tensor h = rms_norm(x, blk.norm1, c.eps);
    at::Tensor q = at::linear(h, blk.q).view({b, l, n, hd}).permute({0, 2, 1, 3});
    at::Tensor k = at::linear(h, blk.k).view({b, l, n, hd}).permute({0, 2, 3, 1});
    at::Tensor v = at::linear(h, blk.v).view({b, l, n, hd}).permute({0, 2, 1, 3});
    at::Tensor bias = at::embedding(blk.pos_embedding, buckets)  // [L, L, n]
                          .permute({2, 0, 1})
                          .unsqueeze(0)
                          .expand({b, n, l, l})
                          .masked_fill(pad, masked);
    at::Tensor scores = at::matmul(q, k) + bias;
    at::Tensor attn = at::softmax(scores.to(at::kFloat), -1).to(scores.scalar_type());
    at::Tensor a = at::matmul(attn, v).permute({0, 2, 1, 3}).reshape({b, l, n * hd});
    x = fp16_clamp(x + at::linear(a, blk.o));
    // Gated-GELU feed-forward: fc2(fc1(x) · gelu(gate(x))).
    h = rms_norm(x, blk.norm2, c.eps);
    at::Tensor f = at::linear(h, blk.fc1) * gelu_tanh(at::linear(h, blk.gate));
    x = fp16_clamp(x + at::linear(f, blk.fc2));
  }
  return rms_norm(x, w.norm, c.eps).to(at::kFloat);
}

at::Tensor UMT5Encoder::encode(const SentencePieceTokenizer& tokenizer, std::string_view prompt,
                               std::size_t text_len) {
  if (text_len < 1) throw Error(ErrorKind::InvalidInput, "umT5 text_len must be at least 1");
  const auto tokens = tokenize_umt5(tokenizer, clean_prompt(prompt), text_len);
  // Only the real tokens run: pad keys are masked to exp(lowest) = 0 and the pad rows are
  // cut off, so the result equals the official padded run up to matmul rounding (tested).
  const auto length = static_cast<std::int64_t>(tokens.length);
  at::Tensor ids =
      at::from_blob(const_cast<std::int64_t*>(tokens.ids.data()), {1, length}, at::kLong).clone();
  at::Tensor mask = at::ones({1, length}, at::kLong);
  return forward(ids, mask).squeeze(0);
}

}  // namespace reel::neural
