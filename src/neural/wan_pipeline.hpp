#pragma once
// Text (and for Wan2.2 TI2V an image) → video with a Wan checkpoint folder: umT5 encodes
// the prompt and the negative prompt, the DiT samples a latent from seeded noise with
// flow_sample, the VAE decodes it. Each model is loaded when its stage starts and freed
// when it ends, so the peak is the largest model, not the sum.
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "neural/wan_folder.hpp"
#include "reel/core/cancel.hpp"
#include "reel/media/image.hpp"
#include "reel/neural/runtime.hpp"
#include "reel/neural/wan_request.hpp"

namespace reel::neural {

// Seconds per stage, each including its model's load.
struct WanTimings {
  double t5_seconds = 0;
  double dit_seconds = 0;
  double vae_seconds = 0;  // first-frame encode (i2v) + decode
  double total_seconds = 0;
  int dit_steps = 0;
};

struct WanVideo {
  at::Tensor video;   // [3, T, H, W] fp32 in [-1, 1] on the CPU, before quantisation
  at::Tensor frames;  // [T, H, W, 3] uint8 RGB on the CPU
  WanTimings timings;
};

struct WanRunOptions {
  // Fraction of the whole run in [0, 1] and what is happening: T5 up to 0.02, the DiT
  // steps up to 0.87, the VAE the rest.
  std::function<void(double, const std::string&)> on_progress;
  std::optional<CancelToken> cancel;  // checked between stages, steps and VAE chunks
};

struct WanPipelineOptions {
  bool offload_blocks = false;  // WanDiTOptions::offload_blocks
  WanVaeTiling vae_tiling;      // for the decode (large frames on a small device)
  // The VAE's dtype when it differs from the compute dtype: the official pipeline keeps
  // the VAE in fp32 while the DiT and umT5 run in bf16 (docs/neural.md).
  std::optional<DType> vae_dtype;
};

class WanPipeline {
 public:
  // Reads the configurations (cheap); ModelLoad when they do not fit together.
  WanPipeline(WanFolderFiles files, Device device, DType compute, WanPipelineOptions options = {});

  // Width and height must be multiples of this: the VAE's spatial factor × the patch.
  int spatial_multiple() const;
  void validate(const WanRequest& request) const;
  // Validates, then runs every stage. Cancelled when the token is cancelled.
  WanVideo generate(const WanRequest& request, const WanRunOptions& options = {});

  const WanFolderConfigs& configs() const { return configs_; }

 private:
  WanFolderFiles files_;
  WanFolderConfigs configs_;
  Device device_;
  DType compute_;
  WanPipelineOptions options_;
};

// The initial noise: N(0, 1) fp32 of `shape` from a CPU generator seeded with `seed`
// (torch.Generator().manual_seed(seed) + torch.randn in Python gives the same values),
// drawn on the CPU on every device so a seed means the same video everywhere.
at::Tensor wan_noise(std::uint64_t seed, at::IntArrayRef shape);

// video [3, T, H, W] in [-1, 1] → [T, H, W, 3] uint8: round((clamp(v, -1, 1) + 1) · 127.5).
at::Tensor video_to_frames(const at::Tensor& video);

// An RGB(A) image scaled to cover width × height (area filter when shrinking, bilinear
// when growing) and centre-cropped; an image of exactly that size is used as is.
// Returns [1, 3, 1, height, width] fp32 in [-1, 1] (v / 127.5 - 1; alpha ignored).
at::Tensor image_to_video_tensor(const media::Image& image, int width, int height);

}  // namespace reel::neural
