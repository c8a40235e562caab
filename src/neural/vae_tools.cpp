// vae-encode / vae-decode: the Wan VAE from a safetensors inputs file to an outputs file.
#include <chrono>
#include <cstring>

#include "neural/tool_inputs.hpp"
#include "neural/wan_vae.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/safetensors.hpp"
#include "reel/neural/tools.hpp"

namespace reel::neural {

namespace {

WanVAE make_vae(const VaeToolOptions& o) {
  WanVaeConfig config;
  if (!o.vae_config.empty()) {
    config = WanVaeConfig::from_json_file(o.vae_config);
  } else if (o.version == "2.1") {
    config = WanVaeConfig::wan21();
  } else if (o.version == "2.2") {
    config = WanVaeConfig::wan22();
  } else {
    throw Error(ErrorKind::InvalidInput,
                "VAE version '" + o.version + "' is not known (allowed: 2.1, 2.2)");
  }
  WanVAE vae(config, o.device, o.dtype);
  if (!o.weights.empty()) {
    vae.load(o.weights);
  } else if (o.random_seed != 0) {
    vae.init_random(o.random_seed);
  } else {
    throw Error(ErrorKind::InvalidInput, "VAE: give --weights (or --random-seed for benchmarks)");
  }
  if (o.tile > 0) vae.set_tiling({true, o.tile, o.overlap});
  return vae;
}

// [1, ...] → [...] on the CPU, then written as the file's one F32 tensor.
void write_one(const VaeToolOptions& o, const std::string& name, const at::Tensor& batched,
               double seconds) {
  auto t = batched.squeeze(0).to(at::kCPU, at::kFloat).contiguous();
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(t.numel()) * sizeof(float));
  std::memcpy(bytes.data(), t.data_ptr<float>(), bytes.size());
  write_safetensors(o.out, {{name, DType::f32, t.sizes().vec(), std::move(bytes)}},
                    Json{{"device", to_string(o.device)},
                         {"dtype", std::string(compute_dtype_name(o.dtype))},
                         {"seconds", std::to_string(seconds)}});
}

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void vae_encode_files(const VaeToolOptions& o) {
  auto inputs = SafetensorsFile::open(o.inputs);
  auto video = read_input_tensor(inputs, "video", 4, "[3, T = 1 + 4k, H, W] in [-1, 1]", true);
  auto vae = make_vae(o);
  const auto start = std::chrono::steady_clock::now();
  auto latent = vae.encode(video.unsqueeze(0));
  write_one(o, "latent", latent, since(start));
}

void vae_decode_files(const VaeToolOptions& o) {
  auto inputs = SafetensorsFile::open(o.inputs);
  auto vae = make_vae(o);
  auto latent = read_input_tensor(inputs, "latent", 4,
                                  "[" + std::to_string(vae.config().z_dim) + ", F, h, w]", true);
  const auto start = std::chrono::steady_clock::now();
  auto video = vae.decode(latent.unsqueeze(0));
  write_one(o, "video", video, since(start));
}

}  // namespace reel::neural
