#pragma once
// What `reel-neural generate` is asked to make, read from REQ.json and checked without
// LibTorch (the model adapter validates the same way before it starts a child).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "reel/core/json.hpp"

namespace reel::neural {

// The official default negative prompt (Wan's shared_config.py sample_neg_prompt), used
// when a request leaves negative_prompt empty.
extern const char* const kWanDefaultNegativePrompt;

struct WanRequest {
  std::string task = "t2v";  // "t2v" | "i2v" | "t2i"
  std::string prompt;
  std::string negative_prompt;  // empty → kWanDefaultNegativePrompt
  int width = 832;
  int height = 480;
  int frames = 81;  // 1 + 4k; t2i: 1
  int steps = 50;
  double shift = 5.0;
  double guidance = 5.0;
  std::string sampler = "unipc";  // "unipc" | "euler"
  std::uint64_t seed = 0;
  std::filesystem::path image;  // i2v: the first frame (PNG or JPEG)

  // The negative prompt actually encoded.
  std::string_view effective_negative_prompt() const;
};

// Reads REQ.json's object. Absent keys take the official defaults for the model type
// ("t2v": 832×480, 81 frames; "ti2v": 1280×704, 121 frames; t2i: 1 frame; 50 unipc steps,
// shift 5, guidance 5, seed 0). InvalidInput for an unknown key or a value of the wrong
// type, naming the key and what is allowed. A relative image path is taken relative to
// `base_dir` (the request file's folder).
WanRequest parse_wan_request(const Json& json, std::string_view model_type,
                             const std::filesystem::path& base_dir = {});

// Checks a request against a model: the task the model can do, width and height
// multiples of `spatial_multiple` (the VAE's spatial factor × the DiT patch), frames
// 1 + 4k (temporal_factor 4), steps, shift, guidance, sampler, the image for i2v.
// InvalidInput naming the field and what is allowed; NotFound for a missing image;
// Unsupported for Wan2.1 I2V models (they need the CLIP image encoder).
void validate_wan_request(const WanRequest& request, std::string_view model_type,
                          int spatial_multiple, int temporal_factor = 4);

}  // namespace reel::neural
