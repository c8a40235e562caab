#pragma once
// The flow-matching noise schedule of the official Wan samplers
// (FlowUniPCMultistepScheduler.set_timesteps with use_dynamic_shifting off).
// Torch-free so the arithmetic can be checked by hand.
//
// For N steps and shift s:
//   u_i      = linspace(sigma_max, 0, N + 1)[i]   for i < N, in double, numpy's formula
//   sigma_i  = s * u_i / (1 + (s - 1) * u_i)       in double
//   t_i      = trunc(sigma_i * 1000)               the model's timestep (int64)
//   sigmas   = float32(sigma_0 .. sigma_{N-1}), then 0
// sigma_max is float32(0.999): the last value of the 1000-step training grid
// 1 - linspace(1, 1/1000, 1000) reversed, as the scheduler stores it.
#include <cstdint>
#include <vector>

namespace reel::neural {

struct FlowSchedule {
  // N + 1 noise levels, each a float32 value held in a double; the last is 0. The
  // solvers step on these exact values.
  std::vector<double> sigmas;
  // N model timesteps, truncated from the unrounded (double) sigmas.
  std::vector<std::int64_t> timesteps;

  int steps() const { return static_cast<int>(timesteps.size()); }
};

inline constexpr int kFlowTrainTimesteps = 1000;

// sigma' = s * sigma / (1 + (s - 1) * sigma): s > 1 keeps more steps at high noise.
double flow_shift(double sigma, double shift);

// Throws InvalidInput when steps is outside [1, 1000] or shift is not finite and > 0.
FlowSchedule flow_schedule(int steps, double shift);

}  // namespace reel::neural
