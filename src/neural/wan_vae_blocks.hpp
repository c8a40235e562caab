#pragma once
// The Wan VAE's building blocks over [B, C, T, H, W] tensors, each carrying its causal
// state across time chunks in a VaeCache. Feeding a clip in any chunking (one frame,
// then four, ... as the official code does, or all at once) gives the same result as a
// whole-sequence causal pass: that equivalence is what the parity tests check.
#include <ATen/ATen.h>

#include <cstddef>
#include <vector>

#include "neural/wan_vae_weights.hpp"

namespace reel::neural {

// What one causal layer remembers between chunks. Layers take slots in call order;
// reset_cursor() before each chunk hands the same slot to the same layer again.
struct VaeCache {
  struct Slot {
    at::Tensor frames;     // the last ≤2 input frames of a causal 3×3×3 / (3,1,1) conv
    bool started = false;  // resamples: the first frame has gone by
  };
  std::vector<Slot> slots;
  std::size_t cursor = 0;
  bool first_chunk = true;  // Wan2.2's DupUp3D drops its leading frames on the first chunk

  Slot& next() {
    if (cursor == slots.size()) slots.emplace_back();
    return slots[cursor++];
  }
  void reset_cursor() { cursor = 0; }
};

// F.normalize over channels (eps 1e-12) · √C · γ: an RMS norm with no epsilon inside.
at::Tensor vae_rms_norm(const at::Tensor& x, const at::Tensor& gamma);

// Causal Conv3d: zero frames (or the cached ones) in front, symmetric spatial padding.
// `cache` null: a 1×1×1 conv or a pass without state.
at::Tensor vae_causal_conv(const at::Tensor& x, const VaeConv& conv, VaeCache::Slot* cache);

at::Tensor vae_res_block(const at::Tensor& x, const VaeResBlock& block, VaeCache& cache);

// Single-head attention over each frame's H·W positions.
at::Tensor vae_attention(const at::Tensor& x, const VaeAttention& attn);

at::Tensor vae_resample(const at::Tensor& x, const VaeResample& r, VaeCache& cache);

// Wan2.2's parameter-free stage shortcuts: AvgDown3D folds (t, h, w) blocks into channels
// and averages channel groups; DupUp3D repeats channels and unfolds them into (t, h, w).
at::Tensor vae_avg_down(const at::Tensor& x, int out_channels, int factor_t, int factor_s);
at::Tensor vae_dup_up(const at::Tensor& x, int out_channels, int factor_t, int factor_s,
                      bool first_chunk);

// Wan2.2's 2×2 pixel patchify: [B, C, T, 2h, 2w] → [B, 4C, T, h, w], channel c·4 + r·2 + q
// for row offset q and column offset r (einops "b c f (h q) (w r) -> b (c r q) f h w").
at::Tensor vae_patchify(const at::Tensor& x);
at::Tensor vae_unpatchify(const at::Tensor& x);

// One chunk through the encoder / decoder, continuing from `cache`.
at::Tensor vae_encoder_chunk(const at::Tensor& x, const VaeCoder& encoder, VaeCache& cache);
at::Tensor vae_decoder_chunk(const at::Tensor& x, const VaeCoder& decoder, VaeCache& cache);

}  // namespace reel::neural
