// The sampling loop: guidance, batching, progress, cancellation and the TI2V mask,
// driven by analytic denoisers that record how they were called.
#include "neural/flow_sampler.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "reel/core/error.hpp"

namespace reel::neural {
namespace {

struct Call {
  std::vector<int64_t> x_shape, t_shape, ctx_shape;
  torch::Tensor t;
};

// A smooth field whose value depends on the text tokens, per batch element: a
// pull toward a context-dependent target plus a time-dependent swirl. Zero rows in
// the context change nothing (only sums are used), as with Wan's padded tokens.
struct TextField {
  std::vector<Call>* calls = nullptr;

  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& t,
                           const torch::Tensor& ctx) const {
    if (calls) calls->push_back({x.sizes().vec(), t.sizes().vec(), ctx.sizes().vec(), t.clone()});
    const int64_t b = x.size(0);
    // [B, 1, 1, 1, 1] per-sample scalars.
    torch::Tensor target = ctx.sum({1, 2}).view({b, 1, 1, 1, 1}).to(x.scalar_type()) * 0.1;
    torch::Tensor s = (t.dim() == 1 ? t : t.select(1, t.size(1) - 1)).view({b, 1, 1, 1, 1}) / 1000;
    return (x - target) * (0.8 + 0.2 * s.to(x.scalar_type())) + torch::sin(x) * 0.05;
  }
};

FlowSampleInputs make_inputs(int64_t len_c = 3, int64_t len_u = 5) {
  torch::manual_seed(5);
  FlowSampleInputs in;
  in.noise = torch::randn({4, 3, 4, 6});
  in.context = torch::randn({len_c, 8});
  in.context_null = torch::randn({len_u, 8});
  return in;
}

FlowSampleOptions make_options(FlowSolverKind kind, int steps, double guidance) {
  FlowSampleOptions o;
  o.solver = kind;
  o.steps = steps;
  o.shift = 5.0;
  o.guidance = guidance;
  return o;
}

// The loop written out by hand for one conditioning, as the reference to compare to.
torch::Tensor manual_run(FlowSolverKind kind, int steps, double shift, const torch::Tensor& noise,
                         const std::function<torch::Tensor(const torch::Tensor&, int64_t)>& v_of) {
  auto solver = make_flow_solver(kind, flow_schedule(steps, shift));
  torch::Tensor x = noise;
  for (int i = 0; i < steps; ++i) x = solver->step(v_of(x, solver->schedule().timesteps[i]), x);
  return x;
}

torch::Tensor field_at(const torch::Tensor& x, int64_t t, const torch::Tensor& ctx) {
  return TextField{}(x.unsqueeze(0), torch::full({1}, static_cast<float>(t)), ctx.unsqueeze(0))[0];
}

TEST(FlowSampler, GuidanceOneIsTheConditionalRunWithOnePassPerStep) {
  auto in = make_inputs();
  for (auto kind : {FlowSolverKind::euler, FlowSolverKind::unipc}) {
    std::vector<Call> calls;
    torch::Tensor got = flow_sample(TextField{&calls}, in, make_options(kind, 6, 1.0));
    torch::Tensor want = manual_run(kind, 6, 5.0, in.noise, [&](const torch::Tensor& x, int64_t t) {
      return field_at(x, t, in.context);
    });
    EXPECT_TRUE(torch::equal(got, want)) << to_string(kind);
    ASSERT_EQ(calls.size(), 6u);
    for (const auto& c : calls) {
      EXPECT_EQ(c.x_shape[0], 1);
      EXPECT_EQ(c.ctx_shape, (std::vector<int64_t>{1, 3, 8}));
    }
  }
  // No unconditional tokens are needed at guidance 1.
  in.context_null = torch::Tensor();
  EXPECT_NO_THROW(flow_sample(TextField{}, in, make_options(FlowSolverKind::euler, 2, 1.0)));
}

TEST(FlowSampler, GuidanceCombinesConditionalAndUnconditional) {
  auto in = make_inputs();
  const double g = 5.0;
  for (bool batched : {true, false}) {
    auto opt = make_options(FlowSolverKind::unipc, 8, g);
    opt.batch_cfg = batched;
    torch::Tensor got = flow_sample(TextField{}, in, opt);
    torch::Tensor want =
        manual_run(FlowSolverKind::unipc, 8, 5.0, in.noise, [&](const torch::Tensor& x, int64_t t) {
          torch::Tensor vc = field_at(x, t, in.context), vu = field_at(x, t, in.context_null);
          return vu + g * (vc - vu);
        });
    EXPECT_LT((got - want).abs().max().item<double>(), 1e-6) << "batched " << batched;
    // And guidance matters: the conditional-only answer is far away.
    torch::Tensor cond_only =
        manual_run(FlowSolverKind::unipc, 8, 5.0, in.noise,
                   [&](const torch::Tensor& x, int64_t t) { return field_at(x, t, in.context); });
    EXPECT_GT((got - cond_only).abs().max().item<double>(), 1e-2);
  }
}

TEST(FlowSampler, BatchedGuidanceEqualsTwoPassesWithOneCallPerStep) {
  auto in = make_inputs(3, 5);  // different token counts: the batch pads to 5
  std::vector<Call> batched_calls, split_calls;
  auto opt = make_options(FlowSolverKind::unipc, 5, 4.0);
  opt.batch_cfg = true;
  torch::Tensor a = flow_sample(TextField{&batched_calls}, in, opt);
  opt.batch_cfg = false;
  torch::Tensor b = flow_sample(TextField{&split_calls}, in, opt);
  EXPECT_LE((a - b).abs().max().item<double>(), 1e-6);

  ASSERT_EQ(batched_calls.size(), 5u);
  for (const auto& c : batched_calls) {
    EXPECT_EQ(c.x_shape, (std::vector<int64_t>{2, 4, 3, 4, 6}));
    EXPECT_EQ(c.t_shape, (std::vector<int64_t>{2}));
    EXPECT_EQ(c.ctx_shape, (std::vector<int64_t>{2, 5, 8}));
  }
  ASSERT_EQ(split_calls.size(), 10u);
  EXPECT_EQ(split_calls[0].ctx_shape, (std::vector<int64_t>{1, 3, 8}));
  EXPECT_EQ(split_calls[1].ctx_shape, (std::vector<int64_t>{1, 5, 8}));
}

TEST(FlowSampler, ModelSeesTruncatedTimestepsAndProgressReportsEachStep) {
  auto in = make_inputs();
  std::vector<Call> calls;
  std::vector<FlowStep> steps;
  auto opt = make_options(FlowSolverKind::euler, 4, 1.0);
  opt.shift = 3.0;
  opt.on_step = [&](const FlowStep& s) { steps.push_back(s); };
  flow_sample(TextField{&calls}, in, opt);
  // Hand-derived in flow_schedule_test: shift 3, 4 steps → 999, 899, 749, 499.
  const float want_t[] = {999, 899, 749, 499};
  ASSERT_EQ(calls.size(), 4u);
  ASSERT_EQ(steps.size(), 4u);
  const auto sched = flow_schedule(4, 3.0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(calls[i].t.scalar_type(), torch::kFloat32);
    EXPECT_EQ(calls[i].t.item<float>(), want_t[i]);
    EXPECT_EQ(steps[i].index, i);
    EXPECT_EQ(steps[i].total, 4);
    EXPECT_EQ(steps[i].sigma, sched.sigmas[i]);
    EXPECT_EQ(steps[i].sigma_next, sched.sigmas[i + 1]);
  }
}

TEST(FlowSampler, CancellationStopsBeforeTheNextStep) {
  auto in = make_inputs();
  for (int cancel_after : {0, 2}) {
    std::vector<Call> calls;
    CancelToken token;
    auto opt = make_options(FlowSolverKind::unipc, 10, 5.0);
    opt.cancel = token;
    opt.on_step = [&](const FlowStep& s) {
      if (s.index == cancel_after) token.cancel();
    };
    try {
      flow_sample(TextField{&calls}, in, opt);
      FAIL() << "not cancelled";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
    // Batched CFG: one call per step; the step in flight when cancelled finishes.
    EXPECT_EQ(calls.size(), static_cast<size_t>(cancel_after + 1));
  }
  // Cancelled before the start: no model call at all.
  std::vector<Call> calls;
  CancelToken token;
  token.cancel();
  auto opt = make_options(FlowSolverKind::euler, 10, 1.0);
  opt.cancel = token;
  EXPECT_THROW(flow_sample(TextField{&calls}, in, opt), Error);
  EXPECT_TRUE(calls.empty());
}

TEST(FlowSampler, FirstFrameIsKeptAndItsTokensSeeTimestepZero) {
  auto in = make_inputs();
  in.noise = torch::randn({4, 3, 4, 6});  // [C, F=3, H=4, W=6] → 2x3 tokens per frame
  in.first_frame = torch::randn({4, 1, 4, 6});
  std::vector<Call> calls;
  auto opt = make_options(FlowSolverKind::unipc, 5, 5.0);
  torch::Tensor out = flow_sample(TextField{&calls}, in, opt);

  EXPECT_TRUE(torch::equal(out.slice(1, 0, 1), in.first_frame));
  const auto sched = flow_schedule(5, 5.0);
  ASSERT_EQ(calls.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(calls[i].t_shape, (std::vector<int64_t>{2, 18}));
    torch::Tensor t = calls[i].t[0];
    EXPECT_EQ(t.slice(0, 0, 6).abs().max().item<float>(), 0.0f) << i;
    EXPECT_TRUE(torch::all(t.slice(0, 6) == static_cast<float>(sched.timesteps[i])).item<bool>())
        << i;
  }
  // The frames after the first evolve: they differ from the noise and from frame 0.
  EXPECT_GT((out.slice(1, 1) - in.noise.slice(1, 1)).abs().max().item<double>(), 0.1);
}

TEST(FlowSampler, FirstFrameStateEntersTheModelFromStepOne) {
  // The model's input at every step already holds the first frame.
  auto in = make_inputs();
  in.first_frame = torch::full({4, 1, 4, 6}, 0.25);
  bool all_held = true;
  int n = 0;
  FlowDenoiser check = [&](const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& c) {
    all_held = all_held && torch::all(x.slice(2, 0, 1) == 0.25).item<bool>();
    ++n;
    return TextField{}(x, t, c);
  };
  flow_sample(check, in, make_options(FlowSolverKind::euler, 4, 1.0));
  EXPECT_EQ(n, 4);
  EXPECT_TRUE(all_held);
}

TEST(FlowSampler, TokenTimesteps) {
  // F=2, H=4, W=6, patch (1, 2, 2): 6 tokens per frame.
  torch::Tensor t = flow_token_timesteps(640, 2, 4, 6, {1, 2, 2}, torch::kCPU);
  ASSERT_EQ(t.numel(), 12);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(t[i].item<float>(), i < 6 ? 0.0f : 640.0f) << i;
}

TEST(FlowSampler, RejectsBadInputs) {
  auto kind_of = [](FlowSampleInputs in, FlowSampleOptions opt) {
    try {
      flow_sample(TextField{}, in, opt);
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::Internal;
  };
  auto opt = make_options(FlowSolverKind::unipc, 3, 5.0);
  auto in = make_inputs();
  in.context_null = torch::Tensor();
  EXPECT_EQ(kind_of(in, opt), ErrorKind::InvalidInput);  // guidance without uncond tokens

  in = make_inputs();
  in.noise = torch::randn({4, 4, 6});
  EXPECT_EQ(kind_of(in, opt), ErrorKind::InvalidInput);  // not [C, F, H, W]

  in = make_inputs();
  in.context_null = torch::randn({5, 7});
  EXPECT_EQ(kind_of(in, opt), ErrorKind::InvalidInput);  // widths differ

  in = make_inputs();
  in.first_frame = torch::randn({4, 2, 4, 6});
  EXPECT_EQ(kind_of(in, opt), ErrorKind::InvalidInput);  // two frames

  in = make_inputs();
  in.first_frame = torch::randn({4, 1, 4, 6});
  in.patch_size = {1, 4, 4};  // W = 6 not divisible
  EXPECT_EQ(kind_of(in, opt), ErrorKind::InvalidInput);

  in = make_inputs();
  opt.steps = 0;
  EXPECT_EQ(kind_of(in, opt), ErrorKind::InvalidInput);
}

}  // namespace
}  // namespace reel::neural
