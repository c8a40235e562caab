// dit_sample_files: the `reel neural dit-sample` tool, a Wan DiT driven by flow_sample.
#include <cstring>
#include <string>

#include "neural/flow_sampler.hpp"
#include "neural/runtime.hpp"
#include "neural/wan_config.hpp"
#include "neural/wan_dit.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/flow_tools.hpp"
#include "reel/neural/safetensors.hpp"

namespace reel::neural {
namespace {

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// A float tensor from the inputs file as fp32 on the CPU, or undefined when absent
// and optional. `expected` is the shape named in messages.
torch::Tensor read_tensor(const SafetensorsFile& file, const std::string& name, std::size_t rank,
                          const std::string& expected, bool required) {
  const TensorInfo* info = file.find(name);
  if (info == nullptr) {
    if (!required) return {};
    throw_error(ErrorKind::InvalidInput, "inputs " + file.what() + " lack tensor '" + name +
                                             "' (expected " + expected + ")");
  }
  if (info->shape.size() != rank)
    throw_error(ErrorKind::InvalidInput, "tensor '" + name + "' has shape " +
                                             shape_string(info->shape) + ", expected " + expected);
  std::vector<float> values = file.to_f32(*info);  // ModelLoad for a non-float dtype
  return torch::from_blob(values.data(), info->shape, torch::kFloat32).clone();
}

void expect_dim(const torch::Tensor& t, const std::string& name, int64_t dim, int64_t want,
                const std::string& expected) {
  if (t.size(dim) != want)
    throw_error(ErrorKind::InvalidInput, "tensor '" + name + "' has shape " +
                                             shape_string(t.sizes().vec()) + ", expected " +
                                             expected);
}

}  // namespace

void dit_sample_files(const DitSampleOptions& o) {
  // 1. Options and inputs, all checked before the weights load.
  FlowSampleOptions opt;
  opt.solver = parse_flow_solver(o.sampler);
  opt.steps = o.steps;
  opt.shift = o.shift;
  opt.guidance = o.guidance;
  opt.batch_cfg = o.batch_cfg;
  flow_schedule(o.steps, o.shift);  // InvalidInput for bad steps or shift

  const WanConfig config = load_wan_config(o.config);
  if (config.model_type == WanModelType::i2v)
    throw_error(ErrorKind::Unsupported,
                "dit-sample samples t2v and ti2v models; Wan2.1 i2v (36-channel input with "
                "CLIP features) is not supported by this tool");
  if (config.in_dim != config.out_dim)
    throw_error(ErrorKind::InvalidInput, "dit-sample needs in_dim == out_dim, config has " +
                                             std::to_string(config.in_dim) + " and " +
                                             std::to_string(config.out_dim));

  auto file = SafetensorsFile::open(o.inputs);
  const std::string c = std::to_string(config.in_dim);
  const std::string ctx_shape =
      "[L <= " + std::to_string(config.text_len) + ", " + std::to_string(config.text_dim) + "]";
  FlowSampleInputs in;
  in.noise = read_tensor(file, "noise", 4, "[" + c + ", F, H, W]", true);
  expect_dim(in.noise, "noise", 0, config.in_dim, "[" + c + ", F, H, W]");
  const auto& p = config.patch_size;
  if (in.noise.size(1) % p[0] || in.noise.size(2) % p[1] || in.noise.size(3) % p[2])
    throw_error(ErrorKind::InvalidInput, "noise " + shape_string(in.noise.sizes().vec()) +
                                             " is not divisible by the patch " +
                                             shape_string({p[0], p[1], p[2]}) + " in F, H, W");
  in.context = read_tensor(file, "context", 2, ctx_shape, true);
  expect_dim(in.context, "context", 1, config.text_dim, ctx_shape);
  in.context_null = read_tensor(file, "context_null", 2, ctx_shape, o.guidance != 1.0);
  if (in.context_null.defined())
    expect_dim(in.context_null, "context_null", 1, config.text_dim, ctx_shape);
  for (const auto* ctx : {&in.context, &in.context_null})
    if (ctx->defined() && ctx->size(0) > config.text_len)
      throw_error(ErrorKind::InvalidInput, "a context has " + std::to_string(ctx->size(0)) +
                                               " tokens, more than text_len " +
                                               std::to_string(config.text_len));
  in.first_frame = read_tensor(file, "first_frame", 4, "[" + c + ", 1, H, W]", false);
  if (in.first_frame.defined() && config.model_type != WanModelType::ti2v)
    throw_error(ErrorKind::InvalidInput, "first_frame is for ti2v models; this config is " +
                                             std::string(to_string(config.model_type)));
  in.patch_size = config.patch_size;

  // 2. The model, then the loop on its device.
  init_threads();
  torch::NoGradGuard no_grad;
  WanDiT dit(config, o.device, o.dtype, WanDiTOptions{o.offload});
  dit.load(o.weights);
  const auto device = to_torch(o.device);
  in.noise = in.noise.to(device);
  in.context = in.context.to(device);
  if (in.context_null.defined()) in.context_null = in.context_null.to(device);
  if (in.first_frame.defined()) in.first_frame = in.first_frame.to(device);
  if (o.on_step) opt.on_step = [&](const FlowStep& s) { o.on_step(s.index, s.total, s.sigma); };

  FlowDenoiser denoiser = [&](const torch::Tensor& x, const torch::Tensor& t,
                              const torch::Tensor& ctx) { return dit.forward(x, t, ctx); };
  torch::Tensor x0 = flow_sample(denoiser, in, opt).to(torch::kCPU, torch::kFloat32).contiguous();

  // 3. x0 [C, F, H, W] fp32, with the generation parameters as metadata.
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(x0.numel()) * sizeof(float));
  std::memcpy(bytes.data(), x0.data_ptr<float>(), bytes.size());
  write_safetensors(o.out, {{"x0", DType::f32, x0.sizes().vec(), std::move(bytes)}},
                    Json{{"sampler", o.sampler},
                         {"steps", std::to_string(o.steps)},
                         {"shift", std::to_string(o.shift)},
                         {"guidance", std::to_string(o.guidance)},
                         {"batch_cfg", o.batch_cfg ? "true" : "false"},
                         {"device", to_string(o.device)},
                         {"dtype", std::string(compute_dtype_name(o.dtype))},
                         {"model_type", std::string(to_string(config.model_type))}});
}

}  // namespace reel::neural
