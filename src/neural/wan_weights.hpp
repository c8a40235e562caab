#pragma once
// The Wan DiT's tensors, held in plain structs whose fields are bound once to the
// official checkpoint names (research §1.3); forward reads fields, never looks up
// names. Loading accepts the official names and the diffusers-style aliases.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neural/wan_config.hpp"
#include "reel/neural/runtime.hpp"

namespace reel::neural {

struct Linear {
  at::Tensor weight;  // [out, in]
  at::Tensor bias;    // [out]
  at::Tensor operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }
};

struct WanAttentionWeights {
  Linear q, k, v, o;
  at::Tensor norm_q, norm_k;  // RMSNorm weights over the full dim
  Linear k_img, v_img;        // Wan2.1 I2V cross-attention only
  at::Tensor norm_k_img;
};

struct WanBlockWeights {
  WanAttentionWeights self_attn, cross_attn;
  at::Tensor norm3_weight, norm3_bias;  // affine LayerNorm before cross-attention
  Linear ffn0, ffn2;
  at::Tensor modulation;  // [1, 6, dim] fp32
};

struct WanWeights {
  at::Tensor patch_weight, patch_bias;  // Conv3d [dim, in_dim, pt, ph, pw]
  Linear text0, text2;
  Linear time0, time2;     // fp32
  Linear time_projection;  // fp32, [6·dim, dim]
  std::vector<WanBlockWeights> blocks;
  Linear head;                                  // fp32, [patch_volume·out_dim, dim]
  at::Tensor head_modulation;                   // [1, 2, dim] fp32
  at::Tensor img_norm0_weight, img_norm0_bias;  // img_emb.proj.0 (LayerNorm 1280)
  Linear img_proj1, img_proj3;
  at::Tensor img_norm4_weight, img_norm4_bias;  // img_emb.proj.4 (LayerNorm dim)
};

// One parameter: its official name, where it lives, its shape, and whether it stays
// fp32 whatever the compute dtype (norms, modulation, time embedding and head run in
// fp32 in the official code).
struct WanParam {
  std::string name;
  at::Tensor* slot = nullptr;
  std::vector<std::int64_t> shape;
  bool keep_fp32 = false;
  int block = -1;  // block index, -1 outside the blocks
};

// Every parameter of the model described by `config`, in checkpoint order.
std::vector<WanParam> wan_parameters(const WanConfig& config, WanWeights& weights);

// The official name for a checkpoint key: official names map to themselves, a
// "model.diffusion_model." prefix is dropped, diffusers names are translated.
std::string official_name(std::string_view checkpoint_key);

struct WanPlacement {
  c10::Device device{c10::kCPU};  // where resident parameters go
  at::ScalarType compute = at::kFloat;
  bool offload_blocks = false;  // blocks stay on the CPU (pinned when device is CUDA)
};

// Bytes the parameters take once converted: {resident on the device, kept on the CPU}.
std::pair<std::uint64_t, std::uint64_t> wan_parameter_bytes(const std::vector<WanParam>& params,
                                                            const WanPlacement& placement);

// Loads every parameter from a .safetensors file or sharded index. Missing,
// unexpected, mis-shaped or non-float keys → one ModelLoad error listing them.
void load_wan_weights(const std::filesystem::path& path, std::vector<WanParam>& params,
                      const WanPlacement& placement);

// Seeded random weights (scaled like a trained model's) for tests and benchmarks.
void init_wan_weights_random(std::vector<WanParam>& params, const WanPlacement& placement,
                             std::uint64_t seed);

}  // namespace reel::neural
