#pragma once
// The Wan diffusion transformer (Wan2.1 T2V/I2V, Wan2.2 TI2V), config-driven, with the
// official numerics: fp32 modulation, residual stream, time embedding and head;
// compute-dtype matmuls; full-width RMS qk-norm; 3D RoPE in float64.
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <tuple>

#include "neural/wan_config.hpp"
#include "neural/wan_weights.hpp"
#include "reel/neural/runtime.hpp"

namespace reel::neural {

struct WanDiTOptions {
  // Keep the blocks' weights on the CPU and copy each block to the device just before
  // it runs, so a model larger than the device's memory still runs.
  bool offload_blocks = false;
};

class WanDiT {
 public:
  WanDiT(const WanConfig& config, Device device, DType compute, WanDiTOptions options = {});

  // A .safetensors file or a sharded .safetensors.index.json. Refuses with OutOfMemory
  // before allocating when the parameters do not fit.
  void load(const std::filesystem::path& weights);
  // Seeded random weights of the official shapes (tests, benchmarks).
  void init_random(std::uint64_t seed);

  // x: [B, in_dim, F, H, W]; t: [B] or [B, L] model timesteps (already trunc(σ·1000));
  // context: [B, L_txt ≤ text_len, text_dim] real tokens (zero-padded to text_len here);
  // clip_fea: [B, 257, 1280] for Wan2.1 I2V. Returns fp32 [B, out_dim, F, H, W].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t,
                        const torch::Tensor& context, const torch::Tensor* clip_fea = nullptr);

  const WanConfig& config() const { return config_; }
  Device device() const { return device_; }
  DType compute_dtype() const { return compute_; }
  bool loaded() const { return loaded_; }
  // {resident on the device, kept on the CPU} bytes of the parameters.
  std::pair<std::uint64_t, std::uint64_t> parameter_bytes() const;

 private:
  struct Time;
  void check_inputs(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& context,
                    const torch::Tensor* clip_fea) const;
  at::Tensor run(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                 const at::Tensor* clip_fea);
  const std::pair<at::Tensor, at::Tensor>& rope_table(std::int64_t f, std::int64_t h,
                                                      std::int64_t w);

  WanConfig config_;
  Device device_;
  DType compute_;
  WanDiTOptions options_;
  WanPlacement placement_;
  std::unique_ptr<WanWeights> weights_;  // params_ point into it
  std::vector<WanParam> params_;
  bool loaded_ = false;
  // (f, h, w) → RoPE (cos, sin) [L, 1, head_dim / 2] float64 on the device.
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::pair<at::Tensor, at::Tensor>>
      rope_cache_;
};

}  // namespace reel::neural
