#pragma once
// Flow-matching ODE solvers. The model predicts a velocity v = eps - x0 at a state
// x = (1 - sigma) * x0 + sigma * eps; a solver turns v at sigmas[i] into the state at
// sigmas[i + 1]. State math is fp32 (fp64 when the state is fp64, for tests)
// whatever dtype the model computes in.
//
// Euler: x' = x + (sigma' - sigma) * v.
// UniPC: the multistep predictor-corrector of Zhao et al. 2023 as configured by the
// official Wan code (FlowUniPCMultistepScheduler): solver_order 2, B(h) = expm1(-h)
// ("bh2"), data prediction (x0 = x - sigma * v), corrector on at every step after the
// first, first step order 1 (warm-up) and last step order 1 (lower_order_final; the
// order-2 update divides by zero at sigma = 0). One model evaluation per step.
#include <torch/torch.h>

#include <memory>
#include <string_view>

#include "neural/flow_schedule.hpp"

namespace reel::neural {

enum class FlowSolverKind { euler, unipc };

// "euler" | "unipc"; anything else throws InvalidInput naming the allowed values.
FlowSolverKind parse_flow_solver(std::string_view name);
std::string_view to_string(FlowSolverKind kind);

class FlowSolver {
 public:
  virtual ~FlowSolver() = default;
  FlowSolver(const FlowSolver&) = delete;
  FlowSolver& operator=(const FlowSolver&) = delete;

  // x: the state at sigmas[step_index()]; v: the model's velocity there (any float
  // dtype, same shape). Returns the state at sigmas[step_index() + 1] and advances.
  // Stepping past the schedule's end throws Internal.
  virtual torch::Tensor step(const torch::Tensor& v, const torch::Tensor& x) = 0;

  const FlowSchedule& schedule() const { return schedule_; }
  int step_index() const { return index_; }
  bool done() const { return index_ >= schedule_.steps(); }

 protected:
  explicit FlowSolver(FlowSchedule schedule) : schedule_(std::move(schedule)) {}
  // Returns the index of the step to take now and advances; throws past the end.
  int begin_step();

 private:
  FlowSchedule schedule_;
  int index_ = 0;
};

std::unique_ptr<FlowSolver> make_flow_solver(FlowSolverKind kind, FlowSchedule schedule);

// The dtype solvers keep the state in: fp64 for fp64 input, fp32 otherwise.
torch::ScalarType flow_state_dtype(const torch::Tensor& like);

}  // namespace reel::neural
