#pragma once
// Pieces of the Wan adapter shared between its files (not public).
#include <filesystem>
#include <string>

#include "reel/wan/wan.hpp"

namespace reel::wan::detail {

inline constexpr const char* kT5File = "models_t5_umt5-xxl-enc-bf16.pth";
inline constexpr const char* kTokenizer = "google/umt5-xxl/spiece.model";
inline constexpr const char* kDiTFile = "diffusion_pytorch_model.safetensors";
inline constexpr const char* kDiTIndex = "diffusion_pytorch_model.safetensors.index.json";

// Identity of the weights a run would use, cheap to compute: config.json's bytes plus
// name, size and modification time of every file at the folder's top level and of the
// tokenizer. Empty folder path → "none". 16 hex digits.
std::string weights_fingerprint(const std::filesystem::path& folder);

// Device kind for files and prices: "cuda:1" → "cuda".
std::string device_kind(const std::string& device);

}  // namespace reel::wan::detail
