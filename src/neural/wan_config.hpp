#pragma once
// Hyper-parameters of a Wan diffusion transformer, read from the publisher's
// config.json keys (model_type, dim, ffn_dim, ...) or taken from a named preset.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "reel/core/json.hpp"

namespace reel::neural {

enum class WanModelType { t2v, i2v, ti2v };

struct WanConfig {
  WanModelType model_type = WanModelType::t2v;
  std::int64_t dim = 1536;
  std::int64_t ffn_dim = 8960;
  std::int64_t freq_dim = 256;
  std::int64_t in_dim = 16;
  std::int64_t out_dim = 16;
  std::int64_t num_heads = 12;
  std::int64_t num_layers = 30;
  std::int64_t text_len = 512;
  std::int64_t text_dim = 4096;
  double eps = 1e-6;
  std::array<std::int64_t, 3> patch_size{1, 2, 2};

  std::int64_t head_dim() const { return dim / num_heads; }
  // RoPE channel split of a head (t, h, w), as the official code: for head_dim d the
  // h and w axes get 2·(d/6) channels each and t the rest (44/42/42 for d = 128).
  std::array<std::int64_t, 3> rope_split() const;
  // Wan2.1 I2V: decoupled image cross-attention and the CLIP projection img_emb.
  bool has_image_attention() const { return model_type == WanModelType::i2v; }
  std::int64_t patch_volume() const { return patch_size[0] * patch_size[1] * patch_size[2]; }

  // InvalidInput naming the field and what is allowed.
  void validate() const;
};

std::string_view to_string(WanModelType type);

// From config.json text or file (keys as the publisher's; text_dim defaults to 4096,
// unknown keys such as "_class_name" are ignored). Validated.
WanConfig parse_wan_config(const Json& json, std::string_view what);
WanConfig load_wan_config(const std::filesystem::path& path);

// "wan2.1-t2v-1.3b", "wan2.1-t2v-14b", "wan2.1-i2v-14b", "wan2.2-ti2v-5b".
WanConfig wan_preset(std::string_view name);
std::vector<std::string> wan_preset_names();

}  // namespace reel::neural
