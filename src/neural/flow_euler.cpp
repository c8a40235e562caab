#include "neural/flow_euler.hpp"

namespace reel::neural {

torch::Tensor FlowEulerSolver::step(const torch::Tensor& v, const torch::Tensor& x) {
  const int i = begin_step();
  const auto dtype = flow_state_dtype(x);
  const double dt = schedule().sigmas[i + 1] - schedule().sigmas[i];
  return x.to(dtype) + v.to(dtype) * dt;
}

}  // namespace reel::neural
