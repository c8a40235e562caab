#pragma once
// The Wan VAE's tensors in plain structs, bound once to the official checkpoint names
// (Wan2.1 wan/modules/vae.py, Wan2.2 wan/modules/vae2_2.py module paths) so the forward
// code reads fields, never looks names up.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "neural/wan_vae.hpp"

namespace reel::neural {

struct VaeConv {
  at::Tensor weight, bias;  // Conv3d [out, in, kt, kh, kw] or Conv2d [out, in, kh, kw]
  bool defined() const { return weight.defined(); }
};

struct VaeResBlock {
  at::Tensor gamma1;  // residual.0 (RMS norm, in_dim)
  VaeConv conv1;      // residual.2 (3×3×3 causal)
  at::Tensor gamma2;  // residual.3 (RMS norm, out_dim)
  VaeConv conv2;      // residual.6 (3×3×3 causal)
  VaeConv shortcut;   // 1×1×1 when in_dim != out_dim, else undefined
};

struct VaeAttention {
  at::Tensor gamma;  // norm (RMS norm over channels, per frame)
  VaeConv to_qkv;    // Conv2d 1×1, dim → 3·dim
  VaeConv proj;      // Conv2d 1×1
};

enum class ResampleMode { none, up2d, up3d, down2d, down3d };

struct VaeResample {
  ResampleMode mode = ResampleMode::none;
  VaeConv conv;       // resample.1 (Conv2d 3×3)
  VaeConv time_conv;  // up3d: causal (3,1,1) dim → 2·dim; down3d: (3,1,1) stride 2
};

// One encoder or decoder stage: res blocks, then an optional resample. Wan2.2 adds a
// parameter-free shortcut around the whole stage (AvgDown3D / DupUp3D).
struct VaeStage {
  std::vector<VaeResBlock> blocks;
  VaeResample resample;
  bool has_shortcut = false;  // Wan2.2 only
  int in_dim = 0, out_dim = 0;
  int factor_t = 1, factor_s = 1;  // of the shortcut
};

struct VaeCoder {  // the encoder or the decoder
  VaeConv conv1;
  std::vector<VaeStage> stages;
  VaeResBlock middle0, middle2;
  VaeAttention middle1;
  at::Tensor head_gamma;  // head.0
  VaeConv head_conv;      // head.2
};

struct WanVaeWeights {
  VaeCoder encoder, decoder;
  VaeConv conv1;  // 2·z → 2·z, 1×1×1 after the encoder
  VaeConv conv2;  // z → z, 1×1×1 before the decoder
};

struct VaeParam {
  std::string name;
  at::Tensor* slot = nullptr;
  std::vector<std::int64_t> shape;
};

// Builds the module tree for `config` (stage dims, modes, factors) and lists every
// parameter under its official name, in a fixed order.
std::vector<VaeParam> wan_vae_parameters(const WanVaeConfig& config, WanVaeWeights& weights);

// Reads every parameter from an official .pth (PyTorch zip) or a .safetensors file,
// converted to `dtype` on `device`. Missing, unexpected, mis-shaped or non-float keys →
// one ModelLoad error listing them.
void load_wan_vae_weights(const std::filesystem::path& path, std::vector<VaeParam>& params,
                          c10::Device device, at::ScalarType dtype);

// Seeded random weights scaled so activations stay O(1) (tests, benchmarks).
void init_wan_vae_weights_random(std::vector<VaeParam>& params, c10::Device device,
                                 at::ScalarType dtype, std::uint64_t seed);

}  // namespace reel::neural
