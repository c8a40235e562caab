#include "reel/neural/tools.hpp"

#include <cstring>

#include "neural/runtime.hpp"
#include "neural/tool_inputs.hpp"
#include "neural/wan_config.hpp"
#include "neural/wan_dit.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/safetensors.hpp"

namespace reel::neural {

void dit_forward_files(const DitForwardOptions& o) {
  const auto config = load_wan_config(o.config);
  auto inputs = SafetensorsFile::open(o.inputs);
  const std::string c = std::to_string(config.in_dim);
  auto x = read_input_tensor(inputs, "x", 4, "[" + c + ", F, H, W]", true);
  auto t = read_input_tensor(inputs, "t", 1, "[1] (the model timestep)", true);
  auto context = read_input_tensor(
      inputs, "context", 2,
      "[L ≤ " + std::to_string(config.text_len) + ", " + std::to_string(config.text_dim) + "]",
      true);
  auto clip = read_input_tensor(inputs, "clip_fea", 2, "[257, 1280]", config.has_image_attention());
  expect_input_dim(x, "x", 0, config.in_dim, "[" + c + ", F, H, W]");
  expect_input_dim(
      context, "context", 1, config.text_dim,
      "[L ≤ " + std::to_string(config.text_len) + ", " + std::to_string(config.text_dim) + "]");
  if (clip.defined()) {
    expect_input_dim(clip, "clip_fea", 0, 257, "[257, 1280]");
    expect_input_dim(clip, "clip_fea", 1, 1280, "[257, 1280]");
  }
  // t [1], or one timestep per token [F/pt · H/ph · W/pw] as TI2V's image mode uses.
  const auto& ps = config.patch_size;
  const std::int64_t tokens = x.size(1) / ps[0] * (x.size(2) / ps[1]) * (x.size(3) / ps[2]);
  if (t.size(0) != 1 && t.size(0) != tokens) {
    throw Error(ErrorKind::InvalidInput, "tensor 't' has shape [" + std::to_string(t.size(0)) +
                                             "], expected [1] (the model timestep) or [" +
                                             std::to_string(tokens) + "] (one per token)");
  }
  if (t.size(0) != 1) t = t.unsqueeze(0);  // [1, L]
  WanDiT dit(config, o.device, o.dtype, WanDiTOptions{o.offload});
  dit.load(o.weights);
  at::Tensor clip_b = clip.defined() ? clip.unsqueeze(0) : at::Tensor();
  auto y = dit.forward(x.unsqueeze(0), t, context.unsqueeze(0), clip.defined() ? &clip_b : nullptr)
               .squeeze(0)
               .to(at::kCPU)
               .contiguous();  // [C_out, F, H, W] fp32
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(y.numel()) * sizeof(float));
  std::memcpy(bytes.data(), y.data_ptr<float>(), bytes.size());
  std::vector<std::int64_t> shape(y.sizes().begin(), y.sizes().end());
  write_safetensors(o.out, {{"y", DType::f32, shape, std::move(bytes)}},
                    Json{{"device", to_string(o.device)},
                         {"dtype", std::string(compute_dtype_name(o.dtype))},
                         {"model_type", std::string(to_string(config.model_type))}});
}

}  // namespace reel::neural
