#pragma once
// Torch-free entry points for the `reel neural` tools, so the CLI and tests call the
// engine without LibTorch headers.
#include <cstddef>
#include <cstdint>
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

// `reel neural vae-encode` / `vae-decode`: the Wan VAE from files to a file.
struct VaeToolOptions {
  std::filesystem::path vae_config;  // reel vae_config.json; empty → the official `version`
  std::string version = "2.1";       // "2.1" | "2.2" when no vae_config is given
  std::filesystem::path weights;     // official .pth or .safetensors
  std::uint64_t random_seed = 0;     // with no weights: seeded random weights (benchmarks)
  std::filesystem::path inputs;      // encode: video [3, T, H, W]; decode: latent [z, F, h, w]
  std::filesystem::path out;         // encode: latent; decode: video (fp32), written atomically
  int tile = 0;                      // pixels; 0 = no spatial tiling
  int overlap = 0;                   // pixels
  Device device = Device::cpu();
  DType dtype = DType::f32;
};
// Encode `video` (fp32 in [-1, 1], T = 1 + 4k, H and W multiples of the spatial factor)
// to the normalised latent `latent`. InvalidInput naming the tensor and the shape allowed.
void vae_encode_files(const VaeToolOptions& options);
// Decode `latent` to `video` [3, 1 + 4(F-1), h·f, w·f] in [-1, 1].
void vae_decode_files(const VaeToolOptions& options);
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
