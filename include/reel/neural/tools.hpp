#pragma once
// Torch-free entry points for the `reel neural` tools, so the CLI and tests call the
// engine without LibTorch headers.
#include <filesystem>
#include <string>

#include "reel/neural/runtime.hpp"

namespace reel::neural {

struct DitForwardOptions {
  std::filesystem::path config;   // publisher-style config.json
  std::filesystem::path weights;  // .safetensors or .safetensors.index.json
  std::filesystem::path inputs;   // x [C, F, H, W], t [1], context [L, text_dim], clip_fea?
  std::filesystem::path out;      // y [C_out, F, H, W] fp32, written atomically
  Device device = Device::cpu();
  DType dtype = DType::f32;
  bool offload = false;
};

// One Wan DiT forward from files to a file. InvalidInput naming the tensor, its shape
// and the expected one for bad inputs; ModelLoad for a checkpoint that does not match.
void dit_forward_files(const DitForwardOptions& options);

}  // namespace reel::neural
