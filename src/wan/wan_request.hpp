#pragma once
// Maps reel's task requests onto one `reel-neural generate` request (interfaces:
// REQ.json) under the model's constraints: sides multiples of 16 (Wan2.1) or 32
// (Wan2.2), frames 1 + 4k.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/media/image.hpp"
#include "reel/neural/wan_request.hpp"
#include "reel/wan/wan.hpp"

namespace reel::wan::detail {

inline constexpr int kMaxFrames = neural::WanLimits::max_frames;

// One run: the contract's request (reel/neural/wan_request.hpp, what reel-neural reads)
// plus what stays on this side of the process boundary.
struct GenerateJob : neural::WanRequest {
  double fps = 16;
  std::optional<media::Image> first_frame;  // i2v: RGBA8 at width x height
  std::vector<std::string> notes;           // roundings made, said out loud

  // REQ.json; `image` is where first_frame was written (i2v only).
  Json to_request(const std::string& image) const;
};

// Width and height: both 0 → the model's default (portrait when `portrait`), else both
// positive multiples of spec.size_multiple (InvalidInput suggests the nearest ones).
void resolve_size(const WanSpec& spec, int width, int height, bool portrait, GenerateJob& job);
// Frames from duration x fps, rounded to the nearest 1 + 4k (k >= 1), with a note when
// that changed the count; more than kMaxFrames → InvalidInput.
void resolve_frames(const WanSpec& spec, double duration, double fps, GenerateJob& job);
// params: steps, shift, guidance, sampler override the defaults (others → InvalidInput),
// in the contract's ranges.
void apply_params(const WanSpec& spec, const Json& params, GenerateJob& job);
// The whole request against the contract (neural::validate_wan_request, as reel-neural
// will check it), before a child is started.
void check_request(const WanSpec& spec, const GenerateJob& job);

}  // namespace reel::wan::detail
