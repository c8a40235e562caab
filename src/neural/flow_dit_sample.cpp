// dit_sample_files: the `reel neural dit-sample` tool, a Wan DiT driven by flow_sample.
// t2v, ti2v (first_frame) and Wan2.1 i2v (cond channels + clip_fea).
#include <cstring>
#include <string>

#include "neural/flow_sampler.hpp"
#include "neural/runtime.hpp"
#include "neural/tool_inputs.hpp"
#include "neural/wan_config.hpp"
#include "neural/wan_dit.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/flow_tools.hpp"
#include "reel/neural/safetensors.hpp"

namespace reel::neural {

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
  // The state has out_dim channels; in_dim - out_dim more come from `cond` (Wan2.1 I2V).
  const int64_t extra = config.in_dim - config.out_dim;
  if (extra < 0)
    throw_error(ErrorKind::InvalidInput, "dit-sample needs in_dim >= out_dim, config has " +
                                             std::to_string(config.in_dim) + " and " +
                                             std::to_string(config.out_dim));

  auto file = SafetensorsFile::open(o.inputs);
  const std::string c = std::to_string(config.out_dim);
  const std::string ctx_shape =
      "[L <= " + std::to_string(config.text_len) + ", " + std::to_string(config.text_dim) + "]";
  FlowSampleInputs in;
  in.noise = read_input_tensor(file, "noise", 4, "[" + c + ", F, H, W]", true);
  expect_input_dim(in.noise, "noise", 0, config.out_dim, "[" + c + ", F, H, W]");
  const auto& p = config.patch_size;
  if (in.noise.size(1) % p[0] || in.noise.size(2) % p[1] || in.noise.size(3) % p[2])
    throw_error(ErrorKind::InvalidInput, "noise " + shape_string(in.noise.sizes().vec()) +
                                             " is not divisible by the patch " +
                                             shape_string({p[0], p[1], p[2]}) + " in F, H, W");
  in.context = read_input_tensor(file, "context", 2, ctx_shape, true);
  expect_input_dim(in.context, "context", 1, config.text_dim, ctx_shape);
  in.context_null = read_input_tensor(file, "context_null", 2, ctx_shape, o.guidance != 1.0);
  if (in.context_null.defined())
    expect_input_dim(in.context_null, "context_null", 1, config.text_dim, ctx_shape);
  for (const auto* ctx : {&in.context, &in.context_null})
    if (ctx->defined() && ctx->size(0) > config.text_len)
      throw_error(ErrorKind::InvalidInput, "a context has " + std::to_string(ctx->size(0)) +
                                               " tokens, more than text_len " +
                                               std::to_string(config.text_len));

  const std::string cond_shape = "[" + std::to_string(extra) + ", F, H, W]";
  in.cond = read_input_tensor(file, "cond", 4, cond_shape, extra > 0);
  if (in.cond.defined()) {
    if (extra == 0)
      throw_error(ErrorKind::InvalidInput,
                  "tensor 'cond' given but in_dim == out_dim: only i2v configs take extra "
                  "input channels");
    expect_input_dim(in.cond, "cond", 0, extra, cond_shape);
  }
  torch::Tensor clip =
      read_input_tensor(file, "clip_fea", 2, "[257, 1280]", config.has_image_attention());
  if (clip.defined()) {
    if (!config.has_image_attention())
      throw_error(ErrorKind::InvalidInput, "tensor 'clip_fea' is for i2v configs; this one is " +
                                               std::string(to_string(config.model_type)));
    expect_input_dim(clip, "clip_fea", 0, 257, "[257, 1280]");
    expect_input_dim(clip, "clip_fea", 1, 1280, "[257, 1280]");
  }
  in.first_frame = read_input_tensor(file, "first_frame", 4, "[" + c + ", 1, H, W]", false);
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
  if (in.cond.defined()) in.cond = in.cond.to(device);
  if (clip.defined()) clip = clip.to(device).unsqueeze(0);  // [1, 257, 1280]
  if (o.on_step) opt.on_step = [&](const FlowStep& s) { o.on_step(s.index, s.total, s.sigma); };

  // The image features are the same for both CFG passes, as in the official I2V loop.
  FlowDenoiser denoiser = [&](const torch::Tensor& x, const torch::Tensor& t,
                              const torch::Tensor& ctx) {
    if (!clip.defined()) return dit.forward(x, t, ctx);
    const torch::Tensor clip_b = clip.expand({x.size(0), -1, -1});  // [B, 257, 1280]
    return dit.forward(x, t, ctx, &clip_b);
  };
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
