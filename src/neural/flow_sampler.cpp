#include "neural/flow_sampler.hpp"

#include <string>

#include "reel/core/error.hpp"

namespace reel::neural {
namespace {

std::string shape_of(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

void check_context(const torch::Tensor& ctx, const char* name, int64_t width) {
  if (ctx.dim() != 2 || ctx.size(0) < 1)
    throw_error(ErrorKind::InvalidInput,
                std::string(name) + " must be [L, D] with L >= 1, got " + shape_of(ctx));
  if (width >= 0 && ctx.size(1) != width)
    throw_error(ErrorKind::InvalidInput, std::string(name) + " has width " +
                                             std::to_string(ctx.size(1)) +
                                             " but context has width " + std::to_string(width));
  if (!ctx.is_floating_point())
    throw_error(ErrorKind::InvalidInput, std::string(name) + " must be a float tensor");
}

void validate(const FlowSampleInputs& in, const FlowSampleOptions& opt) {
  if (!in.noise.defined() || in.noise.dim() != 4 || !in.noise.is_floating_point())
    throw_error(ErrorKind::InvalidInput,
                "noise must be a float tensor [C, F, H, W], got " +
                    (in.noise.defined() ? shape_of(in.noise) : std::string("nothing")));
  if (!in.context.defined()) throw_error(ErrorKind::InvalidInput, "context is required");
  check_context(in.context, "context", -1);
  if (!std::isfinite(opt.guidance)) throw_error(ErrorKind::InvalidInput, "guidance must be finite");
  if (opt.guidance != 1.0) {
    if (!in.context_null.defined())
      throw_error(ErrorKind::InvalidInput,
                  "guidance " + std::to_string(opt.guidance) +
                      " needs context_null (the unconditional tokens); use guidance 1 without it");
    check_context(in.context_null, "context_null", in.context.size(1));
  }
  if (in.first_frame.defined()) {
    const auto& n = in.noise;
    const auto& f = in.first_frame;
    if (f.dim() != 4 || f.size(0) != n.size(0) || f.size(1) != 1 || f.size(2) != n.size(2) ||
        f.size(3) != n.size(3))
      throw_error(ErrorKind::InvalidInput, "first_frame must be [C, 1, H, W] = [" +
                                               std::to_string(n.size(0)) + ", 1, " +
                                               std::to_string(n.size(2)) + ", " +
                                               std::to_string(n.size(3)) + "], got " + shape_of(f));
    const auto& p = in.patch_size;
    if (p[0] != 1 || p[1] < 1 || p[2] < 1 || n.size(2) % p[1] || n.size(3) % p[2])
      throw_error(ErrorKind::InvalidInput,
                  "TI2V needs temporal patch 1 and H, W divisible by the spatial patch; got "
                  "patch (" +
                      std::to_string(p[0]) + ", " + std::to_string(p[1]) + ", " +
                      std::to_string(p[2]) + ") for latent " + shape_of(n));
  }
}

// [L, D] → [target, D], zero rows appended (what the DiT does up to text_len).
torch::Tensor pad_rows(const torch::Tensor& ctx, int64_t target) {
  if (ctx.size(0) == target) return ctx;
  return torch::cat({ctx, torch::zeros({target - ctx.size(0), ctx.size(1)}, ctx.options())});
}

}  // namespace

torch::Tensor flow_token_timesteps(std::int64_t t, std::int64_t frames, std::int64_t height,
                                   std::int64_t width, const std::array<std::int64_t, 3>& patch,
                                   const torch::Device& device) {
  const int64_t per_frame = (height / patch[1]) * (width / patch[2]);
  auto ts = torch::full({frames / patch[0] * per_frame}, static_cast<float>(t),
                        torch::TensorOptions().dtype(torch::kFloat32).device(device));
  ts.slice(0, 0, per_frame).zero_();
  return ts;
}

torch::Tensor flow_sample(const FlowDenoiser& denoiser, const FlowSampleInputs& in,
                          const FlowSampleOptions& opt) {
  validate(in, opt);
  auto solver = make_flow_solver(opt.solver, flow_schedule(opt.steps, opt.shift));
  const auto& sched = solver->schedule();
  const auto dtype = flow_state_dtype(in.noise);
  const auto device = in.noise.device();
  const bool guided = opt.guidance != 1.0;
  const bool ti2v = in.first_frame.defined();

  torch::Tensor x = in.noise.to(dtype);  // [C, F, H, W]
  torch::Tensor keep;                    // TI2V: 1 where the state evolves, 0 on frame 0
  torch::Tensor z;                       // TI2V: first-frame latent broadcast over frames
  if (ti2v) {
    keep = torch::ones_like(x);
    keep.slice(1, 0, 1).zero_();
    z = torch::zeros_like(x);
    z.slice(1, 0, 1).copy_(in.first_frame.to(x.options()));
    x = (1 - keep) * z + keep * x;
  }

  const auto ctx_c = in.context.to(device).unsqueeze(0);  // [1, L, D]
  torch::Tensor ctx_u, ctx_both;
  if (guided) {
    ctx_u = in.context_null.to(device, in.context.scalar_type()).unsqueeze(0);
    if (opt.batch_cfg) {
      const int64_t len = std::max(ctx_c.size(1), ctx_u.size(1));
      ctx_both = torch::stack({pad_rows(ctx_c[0], len), pad_rows(ctx_u[0], len)});  // [2, L, D]
    }
  }

  for (int i = 0; i < sched.steps(); ++i) {
    if (opt.cancel) opt.cancel->check();
    const int64_t t_model = sched.timesteps[i];
    // [1] or, for TI2V, [1, L] per token.
    torch::Tensor t =
        ti2v ? flow_token_timesteps(t_model, x.size(1), x.size(2), x.size(3), in.patch_size, device)
                   .unsqueeze(0)
             : torch::full({1}, static_cast<float>(t_model),
                           torch::TensorOptions().dtype(torch::kFloat32).device(device));
    const torch::Tensor xb = x.unsqueeze(0);  // [1, C, F, H, W]

    torch::Tensor v;
    if (!guided) {
      v = denoiser(xb, t, ctx_c)[0].to(dtype);
    } else if (opt.batch_cfg) {
      const torch::Tensor out = denoiser(torch::cat({xb, xb}), torch::cat({t, t}), ctx_both);
      const torch::Tensor v_c = out[0].to(dtype), v_u = out[1].to(dtype);
      v = v_u + (v_c - v_u) * opt.guidance;
    } else {
      const torch::Tensor v_c = denoiser(xb, t, ctx_c)[0].to(dtype);
      const torch::Tensor v_u = denoiser(xb, t, ctx_u)[0].to(dtype);
      v = v_u + (v_c - v_u) * opt.guidance;
    }
    if (!v.sizes().equals(x.sizes()))
      throw_error(ErrorKind::Internal,
                  "denoiser returned " + shape_of(v) + " for a state " + shape_of(x));

    x = solver->step(v, x);
    if (ti2v) x = (1 - keep) * z + keep * x;
    if (opt.on_step) opt.on_step(FlowStep{i, sched.steps(), sched.sigmas[i], sched.sigmas[i + 1]});
  }
  return x;
}

}  // namespace reel::neural
