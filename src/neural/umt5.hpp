#pragma once
// The umT5-XXL text encoder Wan conditions on (research §1.6, official wan/modules/t5.py):
// token embedding, pre-norm blocks with T5 RMSNorm, unscaled self-attention with a
// per-layer bidirectional relative position bias, gated-GELU(tanh) FFN, final norm.
// Numerics follow the official code: every weight in the compute dtype, the norm's
// mean-square and the softmax in fp32 (the only fp32 islands), the residual stream in
// the compute dtype.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "neural/umt5_weights.hpp"
#include "reel/neural/prompt_clean.hpp"  // clean_prompt
#include "reel/neural/runtime.hpp"
#include "reel/neural/tokenizer.hpp"

namespace reel::neural {

class UMT5Encoder {
 public:
  UMT5Encoder(UMT5Config config, Device device, DType compute);

  // The official .pth (torch.save state dict) or a .safetensors file with the official
  // or the Hugging Face names. Missing, unexpected or mis-shaped keys → ModelLoad.
  void load(const std::filesystem::path& weights);
  // Seeded random weights of the configured shapes (tests, benchmarks).
  void init_random(std::uint64_t seed);

  // ids [B, L] int64 in [0, vocab), mask [B, L] (1 real, 0 pad) → [B, L, dim] fp32.
  at::Tensor forward(const at::Tensor& ids, const at::Tensor& mask);
  // clean_prompt + tokenize_umt5 + forward, cut to the true length: [length, dim] fp32
  // on the encoder's device.
  at::Tensor encode(const SentencePieceTokenizer& tokenizer, std::string_view prompt,
                    std::size_t text_len = 512);

  const UMT5Config& config() const { return config_; }
  Device device() const { return device_; }
  DType compute_dtype() const { return compute_; }
  bool loaded() const { return loaded_; }

 private:
  void check_inputs(const at::Tensor& ids, const at::Tensor& mask) const;

  UMT5Config config_;
  Device device_;
  DType compute_;
  c10::Device torch_device_{c10::kCPU};
  at::ScalarType scalar_ = at::kFloat;
  std::unique_ptr<UMT5Weights> weights_;
  bool loaded_ = false;
};

// The official bidirectional relative-position bucket of every (query, key) pair:
// [lq, lk] int64 (exposed for tests).
at::Tensor umt5_position_buckets(std::int64_t lq, std::int64_t lk, int num_buckets,
                                 int max_distance, c10::Device device);

}  // namespace reel::neural
