#pragma once
// The Wan 3D causal VAEs: Wan2.1 (z16, 4×8×8) and Wan2.2 (z48, 4×16×16 with a 2×2
// pixel patchify), research §1.5. Inference is chunked and cached as the official code
// runs it (encode: first frame, then 4 frames at a time; decode: one latent frame at a
// time, every causal conv carrying its last two input frames), so memory does not grow
// with the clip length; the result equals a whole-sequence causal pass (tests check it
// against tests/reference/wan_vae.py, which runs that whole-sequence pass).
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "reel/neural/runtime.hpp"

namespace reel::neural {

struct WanVaeConfig {
  enum class Version { v2_1, v2_2 };
  Version version = Version::v2_1;
  int dim = 96;          // encoder base dim (2.2: 160)
  int decoder_dim = 96;  // 2.1: same as dim; 2.2: 256
  std::vector<int> dim_mult{1, 2, 4, 4};
  int num_res_blocks = 2;
  std::vector<bool> temporal_downsample{false, true, true};
  int z_dim = 16;                // 2.2: 48
  std::vector<float> mean, std;  // z_dim each (latent normalisation)
  static WanVaeConfig wan21();   // official constants
  static WanVaeConfig wan22();
  int spatial_factor() const;   // 8 (2.1) or 16 (2.2, incl. the 2x2 patchify)
  int temporal_factor() const;  // 4
  // Reads a reel `vae_config.json` (keys: version "2.1"|"2.2", dim, decoder_dim, dim_mult,
  // num_res_blocks, temporal_downsample, z_dim, mean, std); used for tiny test folders.
  static WanVaeConfig from_json_file(const std::filesystem::path& file);
  // InvalidInput naming the first inconsistent field.
  void validate() const;
  bool is_v22() const { return version == Version::v2_2; }
};

// Spatial tiling for decode and encode (tiles blended with linear ramps over the overlap).
struct WanVaeTiling {
  bool enabled = false;
  int tile = 256;    // pixels
  int overlap = 64;  // pixels
};

struct WanVaeWeights;

class WanVAE {
 public:
  WanVAE(WanVaeConfig config, Device device, DType compute);
  ~WanVAE();
  WanVAE(WanVAE&&) noexcept;
  WanVAE& operator=(WanVAE&&) noexcept;
  void load(const std::filesystem::path& weights);  // official .pth or .safetensors
  void init_random(std::uint64_t seed);
  void set_tiling(WanVaeTiling tiling);
  // video [B, 3, T, H, W] fp32 in [-1, 1], T = 1 + 4k, H and W multiples of spatial_factor()
  // -> normalised latent [B, z_dim, 1 + k, H/f, W/f] fp32 (mu only).
  at::Tensor encode(const at::Tensor& video, const std::function<void(int, int)>& on_chunk = {});
  // normalised latent [B, z_dim, F, h, w] -> video [B, 3, 1 + 4(F-1), h*f, w*f] fp32 in [-1, 1].
  at::Tensor decode(const at::Tensor& latent, const std::function<void(int, int)>& on_chunk = {});
  const WanVaeConfig& config() const { return config_; }
  const WanVaeTiling& tiling() const { return tiling_; }

 private:
  at::Tensor decode_whole(const at::Tensor& z, const std::function<void(int, int)>& on_chunk,
                          int chunk_offset, int chunk_total);
  at::Tensor decode_tiled(const at::Tensor& z, const std::function<void(int, int)>& on_chunk);
  at::Tensor encode_whole(const at::Tensor& video, const std::function<void(int, int)>& on_chunk,
                          int chunk_offset, int chunk_total);
  at::Tensor encode_tiled(const at::Tensor& video, const std::function<void(int, int)>& on_chunk);

  WanVaeConfig config_;
  Device device_;
  DType compute_;
  at::ScalarType scalar_;
  WanVaeTiling tiling_;
  std::unique_ptr<WanVaeWeights> weights_;
  bool loaded_ = false;
};

}  // namespace reel::neural
