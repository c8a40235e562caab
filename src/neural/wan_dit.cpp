#include "neural/wan_dit.hpp"

#include <c10/core/GradMode.h>

#include <cmath>

#include "neural/runtime.hpp"
#include "neural/torch_compat.hpp"
#include "reel/core/error.hpp"

namespace reel::neural {

namespace {

constexpr std::int64_t kClipTokens = 257;
constexpr std::int64_t kClipDim = 1280;
constexpr double kClipLayerNormEps = 1e-5;  // nn.LayerNorm default inside img_emb

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

[[noreturn]] void bad_input(const std::string& name, const at::Tensor& t,
                            const std::string& expected) {
  throw Error(ErrorKind::InvalidInput,
              "tensor '" + name + "' has shape " + shape_of(t) + ", expected " + expected);
}

// LayerNorm over the last dim in fp32, rounded back to the input's dtype (WanLayerNorm:
// `super().forward(x.float()).type_as(x)`).
at::Tensor layer_norm(const at::Tensor& x, double eps, const at::Tensor& weight = {},
                      const at::Tensor& bias = {}) {
  return at::layer_norm(x.to(at::kFloat), {x.size(-1)}, weight, bias, eps).to(x.scalar_type());
}

// WanRMSNorm over the full width: normalised in fp32, rounded to x's dtype, then scaled
// by the fp32 weight (so the result is fp32, as under the official autocast).
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  auto xf = x.to(at::kFloat);
  auto normed = xf * at::rsqrt(xf.pow(2).mean(-1, true) + eps);
  return normed.to(x.scalar_type()).to(at::kFloat) * weight;
}

// Interleaved-pair rotation (x[2j], x[2j+1]) in float64, as `view_as_complex` · polar.
// x: [B, L, H, D] → fp32 [B, L, H, D]; cos, sin: [L, 1, D/2] float64.
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  auto b = x.size(0), l = x.size(1), h = x.size(2), d = x.size(3);
  auto pairs = x.to(at::kDouble).view({b, l, h, d / 2, 2});
  auto re = pairs.select(-1, 0), im = pairs.select(-1, 1);
  auto out_re = re * cos - im * sin;
  auto out_im = re * sin + im * cos;
  return at::stack({out_re, out_im}, -1).view({b, l, h, d}).to(at::kFloat);
}

// [B, L, H·D] → [B, H, L, D] in the compute dtype, attention, → [B, L, H·D].
at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, std::int64_t heads,
                  at::ScalarType compute) {
  auto split = [&](const at::Tensor& t) {
    return t.to(compute).view({t.size(0), t.size(1), heads, -1}).transpose(1, 2);
  };
  auto out = compat::attention(split(q), split(k), split(v));  // [B, H, Lq, D]
  return out.transpose(1, 2).reshape({q.size(0), q.size(1), -1});
}

WanBlockWeights to_device(const WanBlockWeights& host, c10::Device device) {
  WanBlockWeights dev = host;
  auto move = [&](at::Tensor& t) {
    if (!t.defined()) return;
    auto copy = at::empty(t.sizes(), t.options().device(device).pinned_memory(false));
    copy.copy_(t, /*non_blocking=*/true);
    t = copy;
  };
  for (auto* a : {&dev.self_attn, &dev.cross_attn}) {
    for (auto* l : {&a->q, &a->k, &a->v, &a->o, &a->k_img, &a->v_img}) {
      move(l->weight);
      move(l->bias);
    }
    move(a->norm_q);
    move(a->norm_k);
    move(a->norm_k_img);
  }
  move(dev.norm3_weight);
  move(dev.norm3_bias);
  for (auto* l : {&dev.ffn0, &dev.ffn2}) {
    move(l->weight);
    move(l->bias);
  }
  move(dev.modulation);
  return dev;
}

}  // namespace

// Time conditioning as R distinct rows plus, for per-token t, the row of each token.
struct WanDiT::Time {
  at::Tensor e;       // [R, dim] fp32: time_embedding output (feeds the head)
  at::Tensor e0;      // [R, 6, dim] fp32: time_projection output (feeds the blocks)
  at::Tensor gather;  // [B·L] int64 row per token, or undefined: row b for batch b
  std::int64_t batch = 1, tokens = 1;

  // rows [R, dim] → [B, L or 1, dim]
  at::Tensor expand(const at::Tensor& rows) const {
    if (!gather.defined()) return rows.view({batch, 1, rows.size(-1)});
    return rows.index_select(0, gather).view({batch, tokens, rows.size(-1)});
  }
};

WanDiT::WanDiT(const WanConfig& config, Device device, DType compute, WanDiTOptions options)
    : config_(config), device_(device), compute_(compute), options_(options) {
  config_.validate();
  init_threads();
  placement_.device = to_torch(device);
  placement_.compute = to_scalar_type(compute);
  placement_.offload_blocks = options.offload_blocks;
  weights_ = std::make_unique<WanWeights>();
  params_ = wan_parameters(config_, *weights_);
}

std::pair<std::uint64_t, std::uint64_t> WanDiT::parameter_bytes() const {
  return wan_parameter_bytes(params_, placement_);
}

void WanDiT::load(const std::filesystem::path& weights) {
  auto [resident, host] = parameter_bytes();
  const std::string what = "loading Wan DiT weights " + weights.string();
  if (device_.is_cuda()) {
    check_fits(what, device_, resident);
    check_fits(what + " (offloaded blocks)", Device::cpu(), host);
  } else {
    check_fits(what, device_, resident + host);
  }
  loaded_ = false;
  rope_cache_.clear();
  guard_memory(what, device_, resident + host,
               [&] { load_wan_weights(weights, params_, placement_); });
  loaded_ = true;
}

void WanDiT::init_random(std::uint64_t seed) {
  auto [resident, host] = parameter_bytes();
  check_fits("allocating random Wan DiT weights", device_,
             resident + (device_.is_cuda() ? 0 : host));
  guard_memory("allocating random Wan DiT weights", device_, resident + host,
               [&] { init_wan_weights_random(params_, placement_, seed); });
  loaded_ = true;
}

const std::pair<at::Tensor, at::Tensor>& WanDiT::rope_table(std::int64_t f, std::int64_t h,
                                                            std::int64_t w) {
  auto key = std::make_tuple(f, h, w);
  if (auto it = rope_cache_.find(key); it != rope_cache_.end()) return it->second;
  const auto split = config_.rope_split();
  auto f64 = at::TensorOptions().dtype(at::kDouble);
  // angles per axis: position × 1/10000^(2j/dim_axis), float64 as the official rope_params.
  auto axis = [&](std::int64_t positions, std::int64_t axis_dim) {
    auto inv = 1.0 / at::pow(10000.0, at::arange(0, axis_dim, 2, f64).div(axis_dim));
    return at::outer(at::arange(positions, f64), inv);  // [positions, axis_dim / 2]
  };
  auto at_ = axis(f, split[0]), ah = axis(h, split[1]), aw = axis(w, split[2]);
  // [f, h, w, D/2] in (t, h, w) channel order, tokens flattened in (f, h, w) order.
  auto angles = at::cat({at_.view({f, 1, 1, -1}).expand({f, h, w, -1}),
                         ah.view({1, h, 1, -1}).expand({f, h, w, -1}),
                         aw.view({1, 1, w, -1}).expand({f, h, w, -1})},
                        -1)
                    .reshape({f * h * w, 1, -1});
  auto device = placement_.device;
  auto& entry = rope_cache_[key];
  entry = {at::cos(angles).to(device), at::sin(angles).to(device)};
  return entry;
}

void WanDiT::check_inputs(const torch::Tensor& x, const torch::Tensor& t,
                          const torch::Tensor& context, const torch::Tensor* clip_fea) const {
  const auto& c = config_;
  if (!x.defined() || x.dim() != 5 || x.size(1) != c.in_dim) {
    bad_input("x", x, "[B, " + std::to_string(c.in_dim) + ", F, H, W]");
  }
  const auto b = x.size(0);
  const auto& ps = c.patch_size;
  if (b < 1 || x.size(2) < 1 || x.size(2) % ps[0] != 0 || x.size(3) < 1 || x.size(3) % ps[1] != 0 ||
      x.size(4) < 1 || x.size(4) % ps[2] != 0) {
    bad_input("x", x,
              "B ≥ 1 and F, H, W positive multiples of the patch size (" + std::to_string(ps[0]) +
                  ", " + std::to_string(ps[1]) + ", " + std::to_string(ps[2]) + ")");
  }
  const auto tokens = (x.size(2) / ps[0]) * (x.size(3) / ps[1]) * (x.size(4) / ps[2]);
  if (!t.defined() || !((t.dim() == 1 && t.size(0) == b) ||
                        (t.dim() == 2 && t.size(0) == b && t.size(1) == tokens))) {
    bad_input("t", t,
              "[" + std::to_string(b) + "] or [" + std::to_string(b) + ", " +
                  std::to_string(tokens) + "] (one timestep per sample or per token)");
  }
  if (!context.defined() || context.dim() != 3 || context.size(0) != b ||
      context.size(1) > c.text_len || context.size(2) != c.text_dim) {
    bad_input("context", context,
              "[" + std::to_string(b) + ", L ≤ " + std::to_string(c.text_len) + ", " +
                  std::to_string(c.text_dim) + "]");
  }
  if (c.has_image_attention()) {
    if (clip_fea == nullptr) {
      throw Error(ErrorKind::InvalidInput,
                  "tensor 'clip_fea' is required for model_type i2v ([B, 257, 1280] CLIP "
                  "features)");
    }
    if (clip_fea->dim() != 3 || clip_fea->size(0) != b || clip_fea->size(1) != kClipTokens ||
        clip_fea->size(2) != kClipDim) {
      bad_input("clip_fea", *clip_fea, "[" + std::to_string(b) + ", 257, 1280]");
    }
  } else if (clip_fea != nullptr) {
    throw Error(ErrorKind::InvalidInput, "tensor 'clip_fea' given but model_type is " +
                                             std::string(to_string(c.model_type)) +
                                             " (only i2v takes CLIP features)");
  }
  for (const auto* tensor : {&x, &t, &context}) {
    if (!at::isFloatingType(tensor->scalar_type())) {
      throw Error(ErrorKind::InvalidInput, "inputs must be floating point tensors");
    }
  }
}

torch::Tensor WanDiT::forward(const torch::Tensor& x, const torch::Tensor& t,
                              const torch::Tensor& context, const torch::Tensor* clip_fea) {
  if (!loaded_) throw Error(ErrorKind::Internal, "WanDiT::forward before load()");
  check_inputs(x, t, context, clip_fea);
  // Rough activation estimate for the error message: tokens × ffn_dim × 4 B × a few buffers.
  const auto& ps = config_.patch_size;
  const std::uint64_t tokens = static_cast<std::uint64_t>(x.size(0)) * (x.size(2) / ps[0]) *
                               (x.size(3) / ps[1]) * (x.size(4) / ps[2]);
  const std::uint64_t estimate = tokens * static_cast<std::uint64_t>(config_.ffn_dim) * 4 * 4;
  return guard_memory("running the Wan DiT forward", device_, estimate, [&] {
    // NoGradGuard rather than InferenceMode: callers (samplers) may update the
    // returned tensor in place outside any guard.
    at::NoGradGuard no_grad;
    return run(x, t, context, clip_fea);
  });
}

at::Tensor WanDiT::run(const at::Tensor& x_in, const at::Tensor& t_in, const at::Tensor& ctx_in,
                       const at::Tensor* clip_in) {
  const auto& c = config_;
  const auto& w = *weights_;
  const auto device = placement_.device;
  const auto ct = placement_.compute;
  const double eps = c.eps;
  const auto& ps = c.patch_size;
  const auto b = x_in.size(0);

  // 1. Patch embedding: [B, in_dim, F, H, W] → [B, dim, f, h, w] → tokens [B, L, dim].
  //    The residual stream starts in the compute dtype (as the conv's autocast output)
  //    and becomes fp32 at the first residual add.
  auto patches =
      at::conv3d(x_in.to(device, ct), w.patch_weight, w.patch_bias, {ps[0], ps[1], ps[2]});
  const auto f = patches.size(2), h = patches.size(3), wd = patches.size(4);
  const auto tokens = f * h * wd;
  at::Tensor x = patches.flatten(2).transpose(1, 2).contiguous();  // [B, L, dim]

  // 2. Time: sinusoid [cos, sin] in float64, time_embedding and time_projection in fp32,
  //    computed once per distinct timestep value.
  Time time;
  time.batch = b;
  time.tokens = tokens;
  at::Tensor t_rows;
  auto t64 = t_in.to(device, at::kDouble);
  if (t64.dim() == 1) {
    t_rows = t64;
  } else {
    auto [values, inverse, counts] = at::_unique2(t64.flatten(), true, true, false);
    t_rows = values;
    time.gather = inverse.flatten();
  }
  {
    const auto half = c.freq_dim / 2;
    auto freqs = at::pow(10000.0, -at::arange(half, t_rows.options()).div(half));
    auto angles = at::outer(t_rows, freqs);                                         // [R, half]
    auto sinusoid = at::cat({at::cos(angles), at::sin(angles)}, 1).to(at::kFloat);  // [R, freq]
    time.e = w.time2(at::silu(w.time0(sinusoid)));                                  // [R, dim]
    time.e0 = w.time_projection(at::silu(time.e)).view({-1, 6, c.dim});             // [R, 6, dim]
  }

  // 3. Text: zero-pad to text_len, Linear → GELU(tanh) → Linear in the compute dtype.
  auto context = ctx_in.to(device, ct);
  if (context.size(1) < c.text_len) {
    context = at::cat(
        {context, at::zeros({b, c.text_len - context.size(1), c.text_dim}, context.options())}, 1);
  }
  context = w.text2(at::gelu(w.text0(context), "tanh"));  // [B, text_len, dim]
  at::Tensor context_img;
  if (c.has_image_attention()) {
    auto clip = clip_in->to(device, at::kFloat);
    auto y = layer_norm(clip, kClipLayerNormEps, w.img_norm0_weight, w.img_norm0_bias);
    y = w.img_proj3(at::gelu(w.img_proj1(y.to(ct))));
    context_img = layer_norm(y.to(at::kFloat), kClipLayerNormEps, w.img_norm4_weight,
                             w.img_norm4_bias)
                      .to(ct);  // [B, 257, dim]
  }

  const auto& [rope_cos, rope_sin] = rope_table(f, h, wd);
  const auto heads = c.num_heads;

  // 4. Blocks.
  for (std::size_t i = 0; i < w.blocks.size(); ++i) {
    const WanBlockWeights on_device =
        options_.offload_blocks ? to_device(w.blocks[i], device) : WanBlockWeights{};
    const WanBlockWeights& blk = options_.offload_blocks ? on_device : w.blocks[i];

    auto mod_rows = blk.modulation + time.e0;                              // [R, 6, dim] fp32
    auto mod = [&](int k) { return time.expand(mod_rows.select(1, k)); };  // [B, L|1, dim]

    // Self-attention with full-width RMS qk-norm and 3D RoPE.
    {
      auto y = (layer_norm(x, eps).to(at::kFloat) * (1 + mod(1)) + mod(0)).to(ct);
      auto q = rms_norm(blk.self_attn.q(y), blk.self_attn.norm_q, eps);
      auto k = rms_norm(blk.self_attn.k(y), blk.self_attn.norm_k, eps);
      auto v = blk.self_attn.v(y);
      q = apply_rope(q.view({b, tokens, heads, -1}), rope_cos, rope_sin).view({b, tokens, -1});
      k = apply_rope(k.view({b, tokens, heads, -1}), rope_cos, rope_sin).view({b, tokens, -1});
      auto o = blk.self_attn.o(attend(q, k, v, heads, ct));
      x = x.to(at::kFloat) + o.to(at::kFloat) * mod(2);  // fp32 residual stream
    }
    // Cross-attention on the affine norm3 output; no modulation, no key mask.
    {
      auto y = layer_norm(x, eps, blk.norm3_weight, blk.norm3_bias).to(ct);
      const auto& a = blk.cross_attn;
      auto q = rms_norm(a.q(y), a.norm_q, eps);
      auto k = rms_norm(a.k(context), a.norm_k, eps);
      auto out = attend(q, k, a.v(context), heads, ct);
      if (c.has_image_attention()) {
        auto k_img = rms_norm(a.k_img(context_img), a.norm_k_img, eps);
        out = out + attend(q, k_img, a.v_img(context_img), heads, ct);
      }
      x = x + a.o(out).to(at::kFloat);
    }
    // FFN.
    {
      auto y = (layer_norm(x, eps) * (1 + mod(4)) + mod(3)).to(ct);
      auto o = blk.ffn2(at::gelu(blk.ffn0(y), "tanh"));
      x = x + o.to(at::kFloat) * mod(5);
    }
  }

  // 5. Head in fp32: modulation from the time_embedding output e (not e0).
  auto head_rows = w.head_modulation + time.e.unsqueeze(1);  // [R, 2, dim]
  auto shift = time.expand(head_rows.select(1, 0));
  auto scale = time.expand(head_rows.select(1, 1));
  auto out = w.head(layer_norm(x, eps) * (1 + scale) + shift);  // [B, L, pv·out_dim]

  // 6. Unpatchify: channels ordered (p, q, r, c), c fastest ('fhwpqrc->cfphqwr').
  const auto co = c.out_dim;
  out = out.view({b, f, h, wd, ps[0], ps[1], ps[2], co})
            .permute({0, 7, 1, 4, 2, 5, 3, 6})  // [B, c, f, p, h, q, w, r]
            .reshape({b, co, f * ps[0], h * ps[1], wd * ps[2]});
  return out.to(at::kFloat).contiguous();
}

}  // namespace reel::neural
