#include "neural/flow_unipc.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

namespace reel::neural {

FlowUniPCSolver::FlowUniPCSolver(FlowSchedule schedule) : FlowSolver(std::move(schedule)) {}

double FlowUniPCSolver::lambda(int i) const {
  const double s = schedule().sigmas[i];
  if (s == 0) return std::numeric_limits<double>::infinity();
  return std::log(1 - s) - std::log(s);
}

namespace {

// sum_k c_k * t_k in one output buffer: each term is one pass over memory, where the
// textbook form's temporaries (differences, scaled copies) would take several.
torch::Tensor combine(std::initializer_list<std::pair<const torch::Tensor*, double>> terms) {
  auto it = terms.begin();
  torch::Tensor out = *it->first * it->second;
  for (++it; it != terms.end(); ++it) out.add_(*it->first, it->second);
  return out;
}

}  // namespace

// UniC: refines the state at sigmas[i] that the last predictor produced, using the
// x0 prediction the model just made there (m_now); no extra model call.
//   x_c = (s_i / s_{i-1}) x_{i-1} - a_i phi m_{i-1} - a_i B (rho0 D + rho1 (m_i - m_{i-1}))
// with D = (m_{i-2} - m_{i-1}) / r at order 2 and rho1 = 1/2, no D at order 1.
torch::Tensor FlowUniPCSolver::correct(const torch::Tensor& m_now, int i) const {
  const auto& sig = schedule().sigmas;
  const double s_prev = sig[i - 1], s_now = sig[i];
  const double alpha_now = 1 - s_now;
  const double h = lambda(i) - lambda(i - 1);
  const double phi1 = std::expm1(-h);  // h * phi_1(h) for data prediction (hh = -h)
  const double b_h = phi1;             // bh2: B(h) = expm1(-h)
  const torch::Tensor& m_prev = x0_[1];
  const double scale = alpha_now * b_h;

  if (last_order_ == 1) {
    const double rho1 = 0.5;  // UniC-1
    return combine({{&last_x_, s_now / s_prev},
                    {&m_prev, -alpha_now * phi1 + scale * rho1},
                    {&m_now, -scale * rho1}});
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
  return combine({{&last_x_, s_now / s_prev},
                  {&m_prev, -alpha_now * phi1 + scale * (rho0 / r + rho1)},
                  {&m_prev2, -scale * rho0 / r},
                  {&m_now, -scale * rho1}});
}

// UniP: from the (corrected) state x at sigmas[i] to sigmas[i + 1]:
//   x' = (s' / s) x - a' phi m_i - a' B (1/2) (m_{i-1} - m_i) / r   (last term at order 2;
// the official code fixes rho_p = 1/2 for UniP-2).
torch::Tensor FlowUniPCSolver::predict(const torch::Tensor& x, int i, int order) const {
  const auto& sig = schedule().sigmas;
  const torch::Tensor& m_now = x0_[1];
  // At sigma = 0 the update reduces to the x0 prediction (h = inf, expm1(-h) = -1).
  if (sig[i + 1] == 0) return m_now.clone();
  const double s_now = sig[i], s_next = sig[i + 1];
  const double alpha_next = 1 - s_next;
  const double h = lambda(i + 1) - lambda(i);
  const double phi1 = std::expm1(-h);
  if (order == 1) return combine({{&x, s_next / s_now}, {&m_now, -alpha_next * phi1}});
  const double b_h = phi1;
  const double r = (lambda(i - 1) - lambda(i)) / h;
  const double d = alpha_next * b_h * 0.5 / r;
  return combine({{&x, s_next / s_now}, {&m_now, -alpha_next * phi1 + d}, {&x0_[0], -d}});
}

torch::Tensor FlowUniPCSolver::step(const torch::Tensor& v, const torch::Tensor& x_in) {
  const int i = begin_step();
  const int n = schedule().steps();
  const auto dtype = flow_state_dtype(x_in);
  const torch::Tensor x = x_in.to(dtype);
  // Data prediction from the state the model saw (before correction).
  torch::Tensor m_now = torch::add(x, v.to(dtype), -schedule().sigmas[i]);

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
