#pragma once
// UniPC (bh2, order 2, data prediction) for flow matching; see flow_solver.hpp for
// the configuration and docs/neural-samplers.md for the update formulas.
#include <array>

#include "neural/flow_solver.hpp"

namespace reel::neural {

class FlowUniPCSolver final : public FlowSolver {
 public:
  explicit FlowUniPCSolver(FlowSchedule schedule);
  torch::Tensor step(const torch::Tensor& v, const torch::Tensor& x) override;

  // The order the predictor used at the last step (1 or 2), for tests.
  int last_order() const { return last_order_; }

 private:
  // log(alpha / sigma) at sigmas[i], alpha = 1 - sigma; +inf at sigma = 0.
  double lambda(int i) const;
  torch::Tensor correct(const torch::Tensor& m_now, int i) const;
  torch::Tensor predict(const torch::Tensor& x, int i, int order) const;

  // x0 predictions: x0_[1] at the latest step, x0_[0] at the one before.
  std::array<torch::Tensor, 2> x0_;
  torch::Tensor last_x_;  // the corrected state the last predictor started from
  int last_order_ = 0;
};

}  // namespace reel::neural
