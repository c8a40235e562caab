#pragma once
// The sampling loop: noise → latent x0 with a flow-matching solver, classifier-free
// guidance, progress callbacks, cancellation and the TI2V first-frame mask. The model
// is a callable, so the loop is tested with analytic velocity fields and driven by
// WanDiT in production (apps/reel-neural/cmd_dit_sample.cpp).
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "neural/flow_solver.hpp"
#include "reel/core/cancel.hpp"

namespace reel::neural {

// Velocity for a batch. x [B, C, F, H, W] in the state dtype (fp32), t the model
// timesteps as float32 holding integers trunc(sigma * 1000): [B] or, for TI2V, [B, L]
// per token; context [B, L_txt, D]. Returns v with x's shape, any float dtype.
using FlowDenoiser = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& t,
                                                 const torch::Tensor& context)>;

struct FlowStep {
  int index = 0;          // the step just taken, 0-based
  int total = 0;          // number of steps
  double sigma = 0;       // noise level the model was evaluated at
  double sigma_next = 0;  // noise level of the new state
};

struct FlowSampleInputs {
  torch::Tensor noise;         // [C, F, H, W]; its device is where the loop runs
  torch::Tensor context;       // [L, D] conditional text tokens
  torch::Tensor context_null;  // [L2, D] unconditional tokens; required when guidance != 1
  // TI2V: the first latent frame [C, 1, H, W]. When set, frame 0 of the state is this
  // latent before the first step and after every step, and frame 0's tokens get
  // timestep 0 (t is then [B, L] with L = F/pt * H/ph * W/pw tokens).
  torch::Tensor first_frame;
  std::array<std::int64_t, 3> patch_size{1, 2, 2};  // (pt, ph, pw), for the token count
};

struct FlowSampleOptions {
  FlowSolverKind solver = FlowSolverKind::unipc;
  int steps = 50;
  double shift = 5.0;
  double guidance = 5.0;  // v = v_u + g * (v_c - v_u); 1 skips the unconditional pass
  // Conditional and unconditional passes in one B=2 call (faster), or two B=1 calls
  // (half the activation memory). The contexts are zero-padded to the longer length
  // for B=2, which is exact for Wan: its DiT zero-pads to text_len itself and its
  // cross-attention has no mask.
  bool batch_cfg = true;
  std::function<void(const FlowStep&)> on_step;  // after each step
  std::optional<CancelToken> cancel;             // checked before each step
};

// Returns x0 [C, F, H, W] in the state dtype (fp32; fp64 for fp64 noise). Throws
// InvalidInput for bad shapes or options, Cancelled when the token is cancelled
// (the step in flight finishes first).
torch::Tensor flow_sample(const FlowDenoiser& denoiser, const FlowSampleInputs& inputs,
                          const FlowSampleOptions& options);

// The per-token TI2V timesteps for one sample: [L] float32, t everywhere but 0 on the
// tokens of latent frame 0. Exposed for tests and the reference comparison.
torch::Tensor flow_token_timesteps(std::int64_t t, std::int64_t frames, std::int64_t height,
                                   std::int64_t width, const std::array<std::int64_t, 3>& patch,
                                   const torch::Device& device);

}  // namespace reel::neural
