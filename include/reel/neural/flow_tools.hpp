#pragma once
// Torch-free entry point for `reel neural dit-sample`: a whole flow-matching sampling
// run of a Wan DiT from safetensors files to a safetensors file.
#include <filesystem>
#include <functional>
#include <string>

#include "reel/neural/runtime.hpp"

namespace reel::neural {

struct DitSampleOptions {
  std::filesystem::path config;   // publisher-style config.json
  std::filesystem::path weights;  // .safetensors or .safetensors.index.json
  // noise [C, F, H, W], context [L, text_dim], context_null [L2, text_dim] (needed when
  // guidance != 1), first_frame [C, 1, H, W] (TI2V models only).
  std::filesystem::path inputs;
  std::filesystem::path out;      // x0 [C, F, H, W] fp32, written atomically
  std::string sampler = "unipc";  // "euler" | "unipc"
  int steps = 50;
  double shift = 5.0;
  double guidance = 5.0;
  bool batch_cfg = true;  // conditional and unconditional passes in one B=2 forward
  Device device = Device::cpu();
  DType dtype = DType::f32;
  bool offload = false;
  // After each step: (index from 0, total, sigma the model was evaluated at).
  std::function<void(int, int, double)> on_step;
};

// InvalidInput naming the option or tensor and what is allowed (checked before the
// weights load); ModelLoad for a checkpoint that does not match the config;
// Unsupported for Wan2.1 I2V checkpoints (their 36-channel input is not sampled here).
void dit_sample_files(const DitSampleOptions& options);

}  // namespace reel::neural
