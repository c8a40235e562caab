#pragma once
// Torch-free entry point for `reel-neural generate`: a Wan checkpoint folder and a
// request file in, a safetensors file of uint8 frames out.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "reel/core/cancel.hpp"
#include "reel/neural/runtime.hpp"

namespace reel::neural {

struct WanGenerateOptions {
  std::filesystem::path folder;   // the checkpoint folder (reel/neural/wan_folder.hpp)
  std::filesystem::path request;  // REQ.json (reel/neural/wan_request.hpp)
  std::filesystem::path out;      // frames U8 [T, H, W, 3], written atomically
  Device device = Device::cpu();
  DType dtype = DType::f32;        // the DiT's and umT5's, and the VAE's unless vae_dtype
  std::optional<DType> vae_dtype;  // unset: dtype
  bool offload = false;            // DiT blocks kept on the CPU, each copied to the device to run
  int vae_tile = 0;                // > 0: decode in spatial tiles of this many pixels
  int vae_overlap = 64;            // tile overlap in pixels (with vae_tile)
  bool debug_float = false;        // also `video` F32 [3, T, H, W] in [-1, 1], before rounding
  std::function<void(double, const std::string&)> on_progress;
  std::optional<CancelToken> cancel;
  // Called once, just before the output file is written (after the last cancel check
  // that can stop the run without a file).
  std::function<void()> on_writing;
};

struct WanGenerateReport {
  double t5_seconds = 0, dit_seconds = 0, vae_seconds = 0, total_seconds = 0;
  int dit_steps = 0;
  std::string device, dtype, vae_dtype;
};

// Locates the folder and validates the request before any model loads. Errors as
// reel::Error: NotFound for a missing folder file (naming the path), InvalidInput for a
// bad request, ModelLoad for weights that do not match, Cancelled.
WanGenerateReport wan_generate_files(const WanGenerateOptions& options);

}  // namespace reel::neural
