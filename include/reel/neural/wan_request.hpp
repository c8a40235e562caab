#pragma once
// The Wan request contract — what `reel-neural generate` is asked to make (REQ.json),
// its limits and its defaults — defined once, without LibTorch, for both sides of the
// process boundary: the model adapter in reel (src/wan) builds a WanRequest, checks it
// with validate_wan_request and writes it with to_json; reel-neural reads it back with
// parse_wan_request and checks it again with the same function.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "reel/core/json.hpp"

namespace reel::neural {

// The official default negative prompt (Wan's shared_config.py sample_neg_prompt), used
// when a request leaves negative_prompt empty.
extern const char* const kWanDefaultNegativePrompt;

// Limits shared by both sides. Frames: 1 + 4 x 80, 20 s at 16 fps (13 s at 24 fps); the
// models were trained on 81 (Wan2.1) and 121 (Wan2.2) frames.
struct WanLimits {
  static constexpr int max_side = 4096;
  static constexpr int max_frames = 321;
  static constexpr int temporal_factor = 4;
  static constexpr int min_steps = 1, max_steps = 1000;
  static constexpr double min_shift = 0.01, max_shift = 100;
  static constexpr double min_guidance = 0, max_guidance = 50;
};
inline constexpr const char* kWanSamplers[] = {"unipc", "euler"};

// The publisher's sampling defaults and, per config.json model_type, the size and frame
// count a request without them gets ("t2v": 832x480, 81 frames at 16 fps; "ti2v":
// 1280x704, 121 frames at 24 fps). A model may have its own default size on top (the
// 14B's 1280x720), which the adapter always sends.
struct WanDefaults {
  int width = 832, height = 480;
  int frames = 81;
  double fps = 16;
  int steps = 50;
  double shift = 5.0, guidance = 5.0;
  std::string sampler = "unipc";
};
WanDefaults wan_defaults(std::string_view model_type);

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

// REQ.json for `request` (every key written; `image` only for i2v).
Json to_json(const WanRequest& request);

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
// `check_image_file` false skips the image's existence (the adapter writes the first
// frame only after the request is known to be good).
void validate_wan_request(const WanRequest& request, std::string_view model_type,
                          int spatial_multiple, int temporal_factor = WanLimits::temporal_factor,
                          bool check_image_file = true);

// "a multiple of M in M..4096; ask for A or B" for a side that is not one: the one
// wording both sides use.
std::string wan_side_rule(int value, int spatial_multiple);

}  // namespace reel::neural
