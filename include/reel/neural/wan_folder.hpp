#pragma once
// A Wan checkpoint folder in the publisher's layout, located without LibTorch so the
// torch-free model adapter can refuse a broken folder before any engine starts.
//
//   config.json                                   DiT hyper-parameters (publisher keys)
//   diffusion_pytorch_model.safetensors           DiT weights, or the sharded
//   diffusion_pytorch_model.safetensors.index.json    index beside its shards
//   Wan2.1_VAE.pth | Wan2.2_VAE.pth               VAE (t2v/i2v: 2.1; ti2v: 2.2); a
//                                                 .safetensors of the same stem also works
//   models_t5_umt5-xxl-enc-bf16.pth               umT5-XXL encoder (.safetensors also works)
//   google/umt5-xxl/spiece.model                  its SentencePiece tokenizer
//   vae_config.json, t5_config.json               optional reel files for tiny test folders;
//                                                 absent means the official constants
#include <filesystem>
#include <optional>
#include <string>

namespace reel::neural {

struct WanFolderFiles {
  std::filesystem::path folder;
  std::string model_type;   // config.json's "model_type": "t2v", "i2v" or "ti2v"
  std::string vae_version;  // "2.1" (t2v, i2v) or "2.2" (ti2v)
  std::filesystem::path config;
  std::filesystem::path dit_weights;  // the .safetensors or its .index.json
  std::filesystem::path vae_weights;
  std::filesystem::path t5_weights;
  std::filesystem::path tokenizer;
  std::optional<std::filesystem::path> vae_config;
  std::optional<std::filesystem::path> t5_config;
};

// Finds every file of the folder. NotFound naming the exact path expected and what the
// file is (e.g. "the Wan2.2 VAE weights"); InvalidInput when config.json is not JSON or
// its model_type is not one of t2v, i2v, ti2v.
WanFolderFiles locate_wan_folder(const std::filesystem::path& folder);

// The official file names, for messages and for tools that write folders.
inline constexpr const char* kWanDitWeights = "diffusion_pytorch_model.safetensors";
inline constexpr const char* kWanDitIndex = "diffusion_pytorch_model.safetensors.index.json";
inline constexpr const char* kWanT5Weights = "models_t5_umt5-xxl-enc-bf16.pth";
inline constexpr const char* kWanTokenizer = "google/umt5-xxl/spiece.model";

}  // namespace reel::neural
