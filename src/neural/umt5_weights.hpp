#pragma once
// umT5 encoder tensors and their binding to checkpoint names: the official Wan .pth
// names (`blocks.N.attn.q.weight`, ...) and the Hugging Face / ComfyUI safetensors names
// (`encoder.block.N.layer.0.SelfAttention.q.weight`, ...) as aliases.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace reel::neural {

struct UMT5Config {
  int vocab = 256384, dim = 4096, dim_attn = 4096, dim_ffn = 10240, num_heads = 64, num_layers = 24,
      num_buckets = 32, max_distance = 128;
  float eps = 1e-6f;
  static UMT5Config xxl() { return {}; }
  // A reel `t5_config.json` with the keys above (all optional; absent → XXL values).
  // Unknown keys, wrong types or inconsistent values → InvalidInput naming the file.
  static UMT5Config from_json_file(const std::filesystem::path& file);
  // InvalidInput when a value is out of range or dim_attn is not a multiple of num_heads.
  void validate(std::string_view what) const;
  std::int64_t parameter_count() const;
};

struct UMT5BlockWeights {
  at::Tensor norm1, norm2;   // [dim]
  at::Tensor q, k, v;        // [dim_attn, dim]
  at::Tensor o;              // [dim, dim_attn]
  at::Tensor pos_embedding;  // [num_buckets, num_heads]
  at::Tensor gate, fc1;      // [dim_ffn, dim]
  at::Tensor fc2;            // [dim, dim_ffn]
};

struct UMT5Weights {
  at::Tensor token_embedding;  // [vocab, dim]
  std::vector<UMT5BlockWeights> blocks;
  at::Tensor norm;  // [dim]
};

struct UMT5Param {
  std::string name;  // official name
  at::Tensor* slot = nullptr;
  std::vector<std::int64_t> shape;
};

// Every parameter, in the official state-dict order.
std::vector<UMT5Param> umt5_parameters(const UMT5Config& config, UMT5Weights& weights);

// The official name for a checkpoint key: official names map to themselves, Hugging Face
// names are translated, anything else is returned unchanged (and is then unexpected).
std::string umt5_official_name(std::string_view key);

// Checks the file's key set, shapes and dtypes against `params` without reading any
// tensor data; throws ModelLoad listing every missing, unexpected, duplicated, mis-shaped
// or non-float key. `.pth` files are read with PthFile, anything else as safetensors.
void check_umt5_checkpoint(const std::filesystem::path& path, const std::vector<UMT5Param>& params);

// check_umt5_checkpoint, then each tensor copied once into a tensor of `dtype` on
// `device` (no intermediate copy of the whole model).
void load_umt5_weights(const std::filesystem::path& path, std::vector<UMT5Param>& params,
                       at::ScalarType dtype, c10::Device device);

// Seeded random weights scaled like the official init.
void init_umt5_weights_random(std::vector<UMT5Param>& params, at::ScalarType dtype,
                              c10::Device device, std::uint64_t seed);

}  // namespace reel::neural
