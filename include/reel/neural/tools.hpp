#pragma once
// Torch-free entry points for the `reel neural` tools, so the CLI and tests call the
// engine without LibTorch headers.
#include <cstddef>
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

struct T5EncodeOptions {
  std::filesystem::path t5_config;  // reel t5_config.json; empty → the umT5-XXL constants
  std::filesystem::path weights;    // official .pth or .safetensors (official or HF names)
  std::filesystem::path tokenizer;  // spiece.model
  std::string prompt;               // raw; cleaned as Wan does (clean_prompt)
  std::filesystem::path out;        // context [length, dim] F32, ids [length] I64
  std::size_t text_len = 512;
  Device device = Device::cpu();
  DType dtype = DType::f32;
};

// clean_prompt + tokenize_umt5 + the umT5 encoder, written atomically. Metadata: the
// cleaned prompt, length, device, dtype, load_seconds, encode_seconds.
void t5_encode_files(const T5EncodeOptions& options);

}  // namespace reel::neural
