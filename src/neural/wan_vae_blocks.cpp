#include "neural/wan_vae_blocks.hpp"

#include <cmath>

#include "neural/torch_compat.hpp"

namespace reel::neural {

namespace {

constexpr std::int64_t kCacheFrames = 2;  // CACHE_T in the official code

// A Conv2d applied to every frame, as a Conv3d with a 1-frame kernel (no reshapes).
at::Tensor per_frame_conv(const at::Tensor& x, const VaeConv& c, std::int64_t stride,
                          std::int64_t padding) {
  return at::conv3d(x, c.weight.unsqueeze(2), c.bias, {1, stride, stride}, {0, padding, padding});
}

}  // namespace

at::Tensor vae_rms_norm(const at::Tensor& x, const at::Tensor& gamma) {
  const double scale = std::sqrt(static_cast<double>(x.size(1)));
  auto norm = at::linalg_vector_norm(x, 2, {1}, true).clamp_min_(1e-12);
  // One full-size temporary instead of three: these tensors set the decoder's peak memory.
  return (x * (gamma * scale)).div_(norm);
}

namespace {

at::Tensor norm_silu(const at::Tensor& x, const at::Tensor& gamma) {
  at::Tensor y = vae_rms_norm(x, gamma);
  return at::silu_(y);  // in place: the normed copy is ours
}

}  // namespace

at::Tensor vae_causal_conv(const at::Tensor& x, const VaeConv& conv, VaeCache::Slot* cache) {
  const std::int64_t kt = conv.weight.size(2);
  const std::int64_t ph = conv.weight.size(3) / 2, pw = conv.weight.size(4) / 2;
  at::Tensor input = x;
  if (kt > 1) {
    const std::int64_t pad_t = kt - 1;
    at::Tensor seen = x;
    if (cache != nullptr && cache->frames.defined()) seen = at::cat({cache->frames, x}, 2);
    const std::int64_t missing = std::max<std::int64_t>(0, pad_t - (seen.size(2) - x.size(2)));
    input = missing > 0 ? at::constant_pad_nd(seen, {0, 0, 0, 0, missing, 0}) : seen;
    if (cache != nullptr) {
      const std::int64_t keep = std::min(kCacheFrames, seen.size(2));
      cache->frames = seen.slice(2, seen.size(2) - keep).clone();
    }
  }
  return at::conv3d(input, conv.weight, conv.bias, {1, 1, 1}, {0, ph, pw});
}

at::Tensor vae_res_block(const at::Tensor& x, const VaeResBlock& b, VaeCache& cache) {
  at::Tensor h = b.shortcut.defined() ? vae_causal_conv(x, b.shortcut, nullptr) : x;
  at::Tensor y = norm_silu(x, b.gamma1);
  y = vae_causal_conv(y, b.conv1, &cache.next());
  y = norm_silu(y, b.gamma2);  // dropout: identity at inference
  y = vae_causal_conv(y, b.conv2, &cache.next());
  return y.add_(h);
}

at::Tensor vae_attention(const at::Tensor& x, const VaeAttention& a) {
  const auto B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  // [B, C, T, H, W] → frames as the batch: [B·T, C, H, W]
  auto frames = x.permute({0, 2, 1, 3, 4}).reshape({B * T, C, H, W});
  auto n = vae_rms_norm(frames, a.gamma);
  auto qkv = at::conv2d(n, a.to_qkv.weight, a.to_qkv.bias);     // [BT, 3C, H, W]
  qkv = qkv.reshape({B * T, 1, 3 * C, H * W}).transpose(2, 3);  // [BT, 1, HW, 3C]
  auto parts = qkv.chunk(3, -1);
  auto o = compat::attention(parts[0].contiguous(), parts[1].contiguous(), parts[2].contiguous());
  o = o.squeeze(1).transpose(1, 2).reshape({B * T, C, H, W});
  o = at::conv2d(o, a.proj.weight, a.proj.bias);
  return o.reshape({B, T, C, H, W}).permute({0, 2, 1, 3, 4}) + x;
}

at::Tensor vae_resample(const at::Tensor& x, const VaeResample& r, VaeCache& cache) {
  at::Tensor y = x;
  if (r.mode == ResampleMode::up3d) {
    // The first frame passes as it is; every later frame becomes two (the time_conv's
    // channel halves), its causal context starting from zeros after that first frame.
    auto& slot = cache.next();
    at::Tensor head;
    at::Tensor rest = x;
    if (!slot.started) {
      slot.started = true;
      head = x.slice(2, 0, 1);
      rest = x.slice(2, 1);
    }
    if (rest.size(2) > 0) {
      const auto B = rest.size(0), C = rest.size(1), T = rest.size(2);
      auto t = vae_causal_conv(rest, r.time_conv, &slot);  // [B, 2C, T, H, W]
      t = t.reshape({B, 2, C, T, rest.size(3), rest.size(4)})
              .permute({0, 2, 3, 1, 4, 5})
              .reshape({B, C, 2 * T, rest.size(3), rest.size(4)});
      y = head.defined() ? at::cat({head, t}, 2) : t;
    } else {
      y = head;
    }
  }
  switch (r.mode) {
    case ResampleMode::up2d:
    case ResampleMode::up3d: {
      // nearest-exact ×2 is plain pixel doubling at an integer factor: one broadcast copy
      // (repeat_interleave measured 13× slower here).
      const auto B = y.size(0), C = y.size(1), T = y.size(2), H = y.size(3), W = y.size(4);
      auto up = y.reshape({B, C, T, H, 1, W, 1})
                    .expand({B, C, T, H, 2, W, 2})
                    .reshape({B, C, T, 2 * H, 2 * W});
      y = per_frame_conv(up, r.conv, 1, 1);
      break;
    }
    case ResampleMode::down2d:
    case ResampleMode::down3d:
      y = per_frame_conv(at::constant_pad_nd(y, {0, 1, 0, 1}), r.conv, 2, 0);
      break;
    case ResampleMode::none:
      break;
  }
  if (r.mode == ResampleMode::down3d) {
    // Frame 0 passes; then (3,1,1) stride-2 windows over the whole sequence, so each
    // chunk starts from the previous chunk's last frame.
    auto& slot = cache.next();
    at::Tensor head;
    at::Tensor rest = y;
    if (!slot.started) {
      slot.started = true;
      head = y.slice(2, 0, 1);
      rest = y.slice(2, 1);
      slot.frames = head.clone();
    }
    if (rest.size(2) > 0) {
      auto seq = at::cat({slot.frames, rest}, 2);
      slot.frames = rest.slice(2, rest.size(2) - 1).clone();
      auto t = at::conv3d(seq, r.time_conv.weight, r.time_conv.bias, {2, 1, 1});
      y = head.defined() ? at::cat({head, t}, 2) : t;
    } else {
      y = head;
    }
  }
  return y;
}

at::Tensor vae_avg_down(const at::Tensor& x, int out_channels, int ft, int fs) {
  const std::int64_t pad_t = (ft - x.size(2) % ft) % ft;
  at::Tensor p = pad_t > 0 ? at::constant_pad_nd(x, {0, 0, 0, 0, pad_t, 0}) : x;
  const auto B = p.size(0), C = p.size(1), T = p.size(2), H = p.size(3), W = p.size(4);
  const std::int64_t factor = std::int64_t{ft} * fs * fs;
  auto v = p.reshape({B, C, T / ft, ft, H / fs, fs, W / fs, fs})
               .permute({0, 1, 3, 5, 7, 2, 4, 6})
               .reshape({B, out_channels, C * factor / out_channels, T / ft, H / fs, W / fs});
  return v.mean(2);
}

at::Tensor vae_dup_up(const at::Tensor& x, int out_channels, int ft, int fs, bool first_chunk) {
  const auto B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  const std::int64_t factor = std::int64_t{ft} * fs * fs;
  const std::int64_t repeats = out_channels * factor / C;  // each channel, repeats times in a row
  auto v = x.reshape({B, C, 1, T, H, W})
               .expand({B, C, repeats, T, H, W})
               .reshape({B, out_channels, ft, fs, fs, T, H, W})
               .permute({0, 1, 5, 2, 6, 3, 7, 4})
               .reshape({B, out_channels, T * ft, H * fs, W * fs});
  return first_chunk ? v.slice(2, ft - 1) : v;
}

at::Tensor vae_patchify(const at::Tensor& x) {
  const auto B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  return x.reshape({B, C, T, H / 2, 2, W / 2, 2})
      .permute({0, 1, 6, 4, 2, 3, 5})  // B, C, r, q, T, h, w
      .reshape({B, C * 4, T, H / 2, W / 2});
}

at::Tensor vae_unpatchify(const at::Tensor& x) {
  const auto B = x.size(0), C = x.size(1) / 4, T = x.size(2), h = x.size(3), w = x.size(4);
  return x
      .reshape({B, C, 2, 2, T, h, w})  // B, C, r, q, T, h, w
      .permute({0, 1, 4, 5, 3, 6, 2})  // B, C, T, h, q, w, r
      .reshape({B, C, T, h * 2, w * 2});
}

namespace {

at::Tensor middle(const at::Tensor& x, const VaeCoder& c, VaeCache& cache) {
  auto y = vae_res_block(x, c.middle0, cache);
  y = vae_attention(y, c.middle1);
  return vae_res_block(y, c.middle2, cache);
}

at::Tensor head(const at::Tensor& x, const VaeCoder& c, VaeCache& cache) {
  return vae_causal_conv(norm_silu(x, c.head_gamma), c.head_conv, &cache.next());
}

at::Tensor stage_main(const at::Tensor& x, const VaeStage& s, VaeCache& cache) {
  at::Tensor y = x;
  for (const auto& b : s.blocks) y = vae_res_block(y, b, cache);
  return vae_resample(y, s.resample, cache);
}

}  // namespace

at::Tensor vae_encoder_chunk(const at::Tensor& x, const VaeCoder& e, VaeCache& cache) {
  cache.reset_cursor();
  at::Tensor y = vae_causal_conv(x, e.conv1, &cache.next());
  for (const auto& s : e.stages) {
    at::Tensor main = stage_main(y, s, cache);
    y = s.has_shortcut ? main.add_(vae_avg_down(y, s.out_dim, s.factor_t, s.factor_s)) : main;
  }
  y = middle(y, e, cache);
  y = head(y, e, cache);
  cache.first_chunk = false;
  return y;
}

at::Tensor vae_decoder_chunk(const at::Tensor& x, const VaeCoder& d, VaeCache& cache) {
  cache.reset_cursor();
  at::Tensor y = vae_causal_conv(x, d.conv1, &cache.next());
  y = middle(y, d, cache);
  for (const auto& s : d.stages) {
    at::Tensor main = stage_main(y, s, cache);
    y = s.has_shortcut
            ? main.add_(vae_dup_up(y, s.out_dim, s.factor_t, s.factor_s, cache.first_chunk))
            : main;
  }
  y = head(y, d, cache);
  cache.first_chunk = false;
  return y;
}

}  // namespace reel::neural
