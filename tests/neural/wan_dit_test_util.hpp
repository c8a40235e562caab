#pragma once
// Tiny Wan configs and checkpoints written at test time (seeded random weights under
// the official names, optionally renamed), shared by the wan_dit_* tests.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "neural/wan_config.hpp"
#include "neural/wan_weights.hpp"
#include "reel/neural/safetensors.hpp"

namespace reel::neural::test {

// head_dim 16 → RoPE split 8/4/4; text_len 8 so padding is exercised with fewer tokens.
inline WanConfig tiny_config(WanModelType type = WanModelType::t2v) {
  WanConfig c;
  c.model_type = type;
  c.dim = 32;
  c.ffn_dim = 64;
  c.freq_dim = 16;
  c.num_heads = 2;
  c.num_layers = 2;
  c.text_len = 8;
  c.text_dim = 24;
  c.in_dim = type == WanModelType::i2v ? 8 : 4;
  c.out_dim = 4;
  return c;
}

inline Json config_json(const WanConfig& c) {
  return Json{{"model_type", std::string(to_string(c.model_type))},
              {"dim", c.dim},
              {"ffn_dim", c.ffn_dim},
              {"freq_dim", c.freq_dim},
              {"in_dim", c.in_dim},
              {"out_dim", c.out_dim},
              {"num_heads", c.num_heads},
              {"num_layers", c.num_layers},
              {"text_len", c.text_len},
              {"text_dim", c.text_dim},
              {"eps", c.eps},
              {"patch_size", c.patch_size}};
}

inline TensorToWrite fp32_tensor(std::string name, const at::Tensor& t) {
  auto c = t.to(at::kFloat).contiguous();
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(c.numel()) * 4);
  std::memcpy(bytes.data(), c.data_ptr<float>(), bytes.size());
  return {std::move(name), DType::f32,
          std::vector<std::int64_t>(c.sizes().begin(), c.sizes().end()), std::move(bytes)};
}

// name → name written; returning "" drops the tensor.
using Rename = std::function<std::string(const std::string&)>;

// Writes seeded random weights of `c`'s official key set; returns the tensors written
// (by official name, in order) so tests can perturb them.
inline std::vector<TensorToWrite> write_checkpoint(const std::filesystem::path& path,
                                                   const WanConfig& c, std::uint64_t seed,
                                                   const Rename& rename = {}) {
  WanWeights weights;
  auto params = wan_parameters(c, weights);
  init_wan_weights_random(params, WanPlacement{}, seed);
  std::vector<TensorToWrite> tensors;
  for (const auto& p : params) {
    std::string name = rename ? rename(p.name) : p.name;
    if (!name.empty()) tensors.push_back(fp32_tensor(name, *p.slot));
  }
  write_safetensors(path, tensors);
  return tensors;
}

inline at::Tensor seeded(std::vector<std::int64_t> shape, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, gen);
}

}  // namespace reel::neural::test
