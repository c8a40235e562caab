// Solvers against velocity fields whose ODE solution is known in closed form.
#include "neural/flow_solver.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "neural/flow_unipc.hpp"
#include "reel/core/error.hpp"

namespace reel::neural {
namespace {

// Data x0 ~ N(mu, a^2) per element, x = (1 - s) x0 + s eps. The exact velocity
// E[eps - x0 | x] is affine in x, and the probability-flow ODE keeps the standardised
// coordinate z = (x - (1 - s) mu) / sqrt(V(s)), V(s) = (1 - s)^2 a^2 + s^2, fixed. So
// from the state x at s0 the exact answer at s = 0 is mu + a z.
struct GaussianTarget {
  torch::Tensor mu, a;

  torch::Tensor variance(double s) const { return (1 - s) * (1 - s) * a * a + s * s; }
  torch::Tensor velocity(const torch::Tensor& x, double s) const {
    return (s - (1 - s) * a * a) / variance(s) * (x - (1 - s) * mu) - mu;
  }
  torch::Tensor exact_x0(const torch::Tensor& x, double s0) const {
    return mu + a * (x - (1 - s0) * mu) / variance(s0).sqrt();
  }
};

GaussianTarget make_target(torch::ScalarType dtype) {
  torch::manual_seed(7);
  auto opts = torch::TensorOptions().dtype(dtype);
  // Means in [-2, 2], spreads in [0.5, 1.5] (latents are roughly unit scale).
  return {torch::rand({4, 3, 5, 6}, opts) * 4 - 2, torch::rand({4, 3, 5, 6}, opts) + 0.5};
}

torch::Tensor noise_like(const GaussianTarget& g) {
  torch::manual_seed(11);
  return torch::randn(g.mu.sizes(), g.mu.options());
}

// Runs a solver with the exact sigma (as the official loop does: the model sees the
// truncated timestep, the field here the exact one so only solver error remains).
torch::Tensor solve(FlowSolverKind kind, int steps, double shift, const GaussianTarget& g,
                    const torch::Tensor& noise) {
  auto solver = make_flow_solver(kind, flow_schedule(steps, shift));
  torch::Tensor x = noise;
  for (int i = 0; i < steps; ++i) x = solver->step(g.velocity(x, solver->schedule().sigmas[i]), x);
  EXPECT_TRUE(solver->done());
  return x;
}

double max_error(FlowSolverKind kind, int steps, double shift, const GaussianTarget& g,
                 const torch::Tensor& noise) {
  const double s0 = flow_schedule(steps, shift).sigmas[0];
  torch::Tensor want = g.exact_x0(noise, s0);
  return (solve(kind, steps, shift, g, noise) - want).abs().max().item<double>();
}

TEST(FlowSolver, BothSolversAreExactWhenTheX0PredictionIsConstant) {
  // v = (x - c) / s predicts x0 = c at every state; the ODE solution is the straight
  // line to c, which Euler and every UniPC order reproduce exactly.
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  torch::manual_seed(3);
  torch::Tensor c = torch::randn({2, 3, 4}, opts);
  torch::Tensor x0 = torch::randn({2, 3, 4}, opts);
  for (auto kind : {FlowSolverKind::euler, FlowSolverKind::unipc}) {
    auto solver = make_flow_solver(kind, flow_schedule(7, 5.0));
    torch::Tensor x = x0;
    for (int i = 0; i < 7; ++i) {
      const double s = solver->schedule().sigmas[i];
      x = solver->step((x - c) / s, x);
      // On the line: x = c + (x0 - c) * s_next / s_start.
      const double ratio = solver->schedule().sigmas[i + 1] / solver->schedule().sigmas[0];
      EXPECT_LT((x - (c + (x0 - c) * ratio)).abs().max().item<double>(), 1e-12)
          << to_string(kind) << " step " << i;
    }
  }
}

// Without shift the step sizes are even and the asymptotic orders show from 10 steps.
TEST(FlowSolver, EulerConvergesAtFirstOrder) {
  auto g = make_target(torch::kFloat64);
  auto noise = noise_like(g);
  double prev = max_error(FlowSolverKind::euler, 10, 1.0, g, noise);
  for (int n : {20, 40, 80}) {
    const double err = max_error(FlowSolverKind::euler, n, 1.0, g, noise);
    // Order 1: the error halves as the steps double (and does not fall faster).
    EXPECT_GT(prev / err, 1.7) << n << " steps, error " << err;
    EXPECT_LT(prev / err, 2.5) << n << " steps, error " << err;
    prev = err;
  }
}

TEST(FlowSolver, UniPCConvergesAtSecondOrder) {
  auto g = make_target(torch::kFloat64);
  auto noise = noise_like(g);
  double prev = max_error(FlowSolverKind::unipc, 10, 1.0, g, noise);
  for (int n : {20, 40, 80}) {
    const double err = max_error(FlowSolverKind::unipc, n, 1.0, g, noise);
    // Order 2: doubling the steps divides the error by about 4.
    EXPECT_GT(prev / err, 3.5) << n << " steps, error " << err;
    prev = err;
  }
}

TEST(FlowSolver, WithShiftFiveUniPCStillGainsAboutTwoOrdersOverEuler) {
  // Shift 5 crowds the steps at high noise, so single doublings are irregular
  // (pre-asymptotic); over three doublings the orders still separate: 2^(3 * 1.5) = 22.6.
  auto g = make_target(torch::kFloat64);
  auto noise = noise_like(g);
  const double unipc_gain = max_error(FlowSolverKind::unipc, 20, 5.0, g, noise) /
                            max_error(FlowSolverKind::unipc, 160, 5.0, g, noise);
  const double euler_gain = max_error(FlowSolverKind::euler, 20, 5.0, g, noise) /
                            max_error(FlowSolverKind::euler, 160, 5.0, g, noise);
  EXPECT_GT(unipc_gain, 22.6);
  EXPECT_GT(euler_gain, 6.0);
  EXPECT_LT(euler_gain, 11.3);  // 2^(3 * 1.17): not better than first order
  EXPECT_LT(max_error(FlowSolverKind::unipc, 20, 5.0, g, noise) * 3,
            max_error(FlowSolverKind::euler, 20, 5.0, g, noise));
}

TEST(FlowSolver, UniPCFiftyStepsFloat32ReachesTheClosedForm) {
  // The official default (50 steps, shift 5) with the state in fp32. The targets have
  // means in [-2, 2] and spreads in [0.5, 1.5]; the remaining error is the solver's
  // (the fp64 run is within 1e-5 of the fp32 one), and far below Euler's.
  auto g64 = make_target(torch::kFloat64);
  GaussianTarget g32{g64.mu.to(torch::kFloat32), g64.a.to(torch::kFloat32)};
  const double s0 = flow_schedule(50, 5.0).sigmas[0];
  torch::Tensor x32 =
      solve(FlowSolverKind::unipc, 50, 5.0, g32, noise_like(g64).to(torch::kFloat32));
  torch::Tensor x64 = solve(FlowSolverKind::unipc, 50, 5.0, g64, noise_like(g64));
  EXPECT_EQ(x32.scalar_type(), torch::kFloat32);
  const double err = (x64 - g64.exact_x0(noise_like(g64), s0)).abs().max().item<double>();
  EXPECT_LT(err, 1.5e-2);
  EXPECT_LT((x32.to(torch::kFloat64) - x64).abs().max().item<double>(), 1e-5);
  // Without shift the same 50 steps land much closer.
  EXPECT_LT(max_error(FlowSolverKind::unipc, 50, 1.0, g64, noise_like(g64)), 2e-3);
}

TEST(FlowSolver, UniPCOrdersWarmUpAndLowerOrderFinal) {
  auto g = make_target(torch::kFloat64);
  auto noise = noise_like(g);
  FlowUniPCSolver solver(flow_schedule(5, 5.0));
  std::vector<int> orders;
  torch::Tensor x = noise;
  for (int i = 0; i < 5; ++i) {
    x = solver.step(g.velocity(x, solver.schedule().sigmas[i]), x);
    orders.push_back(solver.last_order());
  }
  EXPECT_EQ(orders, (std::vector<int>{1, 2, 2, 2, 1}));

  FlowUniPCSolver one(flow_schedule(1, 5.0));
  x = one.step(g.velocity(noise, one.schedule().sigmas[0]), noise);
  EXPECT_EQ(one.last_order(), 1);
  // One step to sigma 0 lands on the x0 prediction x - s v.
  const double s0 = one.schedule().sigmas[0];
  EXPECT_LT((x - (noise - s0 * g.velocity(noise, s0))).abs().max().item<double>(), 1e-12);
}

TEST(FlowSolver, StateIsFloat32ForHalfVelocity) {
  auto solver = make_flow_solver(FlowSolverKind::unipc, flow_schedule(3, 5.0));
  torch::Tensor x = torch::randn({2, 3});
  torch::Tensor out = solver->step(torch::randn({2, 3}).to(torch::kHalf), x);
  EXPECT_EQ(out.scalar_type(), torch::kFloat32);
}

TEST(FlowSolver, SteppingPastTheEndIsAnError) {
  auto solver = make_flow_solver(FlowSolverKind::euler, flow_schedule(1, 1.0));
  torch::Tensor x = torch::zeros({2});
  solver->step(x, x);
  try {
    solver->step(x, x);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
  }
}

TEST(FlowSolver, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_flow_solver("euler"), FlowSolverKind::euler);
  EXPECT_EQ(parse_flow_solver("unipc"), FlowSolverKind::unipc);
  try {
    parse_flow_solver("dpm++");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("euler, unipc"), std::string::npos);
  }
}

}  // namespace
}  // namespace reel::neural
