#include "reel/neural/tools.hpp"

#include <cstring>

#include "neural/runtime.hpp"
#include "neural/wan_config.hpp"
#include "neural/wan_dit.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/safetensors.hpp"

namespace reel::neural {

namespace {

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// A float tensor from the inputs file, widened to fp32, with the rank checked.
at::Tensor read_input(const SafetensorsFile& file, const std::string& name, std::size_t rank,
                      const std::string& expected, bool required) {
  const TensorInfo* info = file.find(name);
  if (info == nullptr) {
    if (!required) return {};
    throw Error(ErrorKind::InvalidInput, "inputs " + file.what() + " lack tensor '" + name +
                                             "' (expected " + expected + ")");
  }
  if (info->shape.size() != rank) {
    throw Error(ErrorKind::InvalidInput, "tensor '" + name + "' has shape " +
                                             shape_string(info->shape) + ", expected " + expected);
  }
  auto values = file.to_f32(*info);  // ModelLoad for a non-float dtype
  return at::from_blob(values.data(), info->shape, at::kFloat).clone();
}

}  // namespace

void dit_forward_files(const DitForwardOptions& o) {
  const auto config = load_wan_config(o.config);
  auto inputs = SafetensorsFile::open(o.inputs);
  const std::string c = std::to_string(config.in_dim);
  auto x = read_input(inputs, "x", 4, "[" + c + ", F, H, W]", true);
  auto t = read_input(inputs, "t", 1, "[1] (the model timestep)", true);
  auto context = read_input(
      inputs, "context", 2,
      "[L ≤ " + std::to_string(config.text_len) + ", " + std::to_string(config.text_dim) + "]",
      true);
  auto clip = read_input(inputs, "clip_fea", 2, "[257, 1280]", config.has_image_attention());
  auto check = [](const at::Tensor& tensor, const std::string& name, std::int64_t dim,
                  std::int64_t want, const std::string& expected) {
    if (tensor.size(dim) != want) {
      throw Error(ErrorKind::InvalidInput,
                  "tensor '" + name + "' has shape " +
                      shape_string({tensor.sizes().begin(), tensor.sizes().end()}) + ", expected " +
                      expected);
    }
  };
  check(x, "x", 0, config.in_dim, "[" + c + ", F, H, W]");
  check(context, "context", 1, config.text_dim,
        "[L ≤ " + std::to_string(config.text_len) + ", " + std::to_string(config.text_dim) + "]");
  if (clip.defined()) {
    check(clip, "clip_fea", 0, 257, "[257, 1280]");
    check(clip, "clip_fea", 1, 1280, "[257, 1280]");
  }
  if (t.size(0) != 1) {
    throw Error(ErrorKind::InvalidInput, "tensor 't' has shape [" + std::to_string(t.size(0)) +
                                             "], expected [1] (the model timestep)");
  }
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
