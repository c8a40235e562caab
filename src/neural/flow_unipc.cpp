#include "neural/flow_unipc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace reel::neural {

FlowUniPCSolver::FlowUniPCSolver(FlowSchedule schedule) : FlowSolver(std::move(schedule)) {}

double FlowUniPCSolver::lambda(int i) const {
  const double s = schedule().sigmas[i];
  if (s == 0) return std::numeric_limits<double>::infinity();
  return std::log(1 - s) - std::log(s);
}

// UniC: refines the state at sigmas[i] that the last predictor produced, using the
// x0 prediction the model just made there (m_now); no extra model call.
torch::Tensor FlowUniPCSolver::correct(const torch::Tensor& m_now, int i) const {
  const auto& sig = schedule().sigmas;
  const double s_prev = sig[i - 1], s_now = sig[i];
  const double alpha_now = 1 - s_now;
  const double h = lambda(i) - lambda(i - 1);
  const double phi1 = std::expm1(-h);  // h * phi_1(h) for data prediction (hh = -h)
  const double b_h = phi1;             // bh2: B(h) = expm1(-h)
  const torch::Tensor& m_prev = x0_[1];

  torch::Tensor x = last_x_ * (s_now / s_prev) - m_prev * (alpha_now * phi1);
  if (last_order_ == 1) {
    // rho_c = 1/2 for UniC-1.
    return x - (m_now - m_prev) * (alpha_now * b_h * 0.5);
  }
  // UniC-2: rho solves [[1, 1], [r, 1]] rho = b with r the previous log-SNR step
  // relative to h, b_k = k! * h_phi_{k+1} / B(h).
  const double hh = -h;
  const double r = (lambda(i - 2) - lambda(i - 1)) / h;
  double phi_k = phi1 / hh - 1;
  const double b0 = phi_k / b_h;
  phi_k = phi_k / hh - 0.5;
  const double b1 = phi_k * 2 / b_h;
  const double rho0 = (b0 - b1) / (1 - r);
  const double rho1 = b0 - rho0;
  const torch::Tensor& m_prev2 = x0_[0];
  return x - ((m_prev2 - m_prev) * (rho0 / r) + (m_now - m_prev) * rho1) * (alpha_now * b_h);
}

// UniP: from the (corrected) state x at sigmas[i] to sigmas[i + 1].
torch::Tensor FlowUniPCSolver::predict(const torch::Tensor& x, int i, int order) const {
  const auto& sig = schedule().sigmas;
  const torch::Tensor& m_now = x0_[1];
  // At sigma = 0 the update reduces to the x0 prediction (h = inf, expm1(-h) = -1).
  if (sig[i + 1] == 0) return m_now.clone();
  const double s_now = sig[i], s_next = sig[i + 1];
  const double alpha_next = 1 - s_next;
  const double h = lambda(i + 1) - lambda(i);
  const double phi1 = std::expm1(-h);
  torch::Tensor out = x * (s_next / s_now) - m_now * (alpha_next * phi1);
  if (order == 2) {
    // rho_p = 1/2 for UniP-2 (the official simplification), D1 = (m_{i-1} - m_i) / r.
    const double b_h = phi1;
    const double r = (lambda(i - 1) - lambda(i)) / h;
    out = out - (x0_[0] - m_now) * (alpha_next * b_h * 0.5 / r);
  }
  return out;
}

torch::Tensor FlowUniPCSolver::step(const torch::Tensor& v, const torch::Tensor& x_in) {
  const int i = begin_step();
  const int n = schedule().steps();
  const auto dtype = flow_state_dtype(x_in);
  const torch::Tensor x = x_in.to(dtype);
  // Data prediction from the state the model saw (before correction).
  torch::Tensor m_now = x - v.to(dtype) * schedule().sigmas[i];

  torch::Tensor x_c = i > 0 ? correct(m_now, i) : x;

  x0_[0] = std::move(x0_[1]);
  x0_[1] = std::move(m_now);
  // Warm-up (one history entry after the first step) and lower-order final steps.
  const int order = std::min({2, n - i, i + 1});
  last_order_ = order;
  last_x_ = x_c;
  return predict(x_c, i, order);
}

}  // namespace reel::neural
