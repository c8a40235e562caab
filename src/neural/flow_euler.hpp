#pragma once
// First-order flow-matching solver: x' = x + (sigma' - sigma) * v.
#include "neural/flow_solver.hpp"

namespace reel::neural {

class FlowEulerSolver final : public FlowSolver {
 public:
  explicit FlowEulerSolver(FlowSchedule schedule) : FlowSolver(std::move(schedule)) {}
  torch::Tensor step(const torch::Tensor& v, const torch::Tensor& x) override;
};

}  // namespace reel::neural
