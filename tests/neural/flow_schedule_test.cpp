#include "neural/flow_schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "reel/core/error.hpp"

namespace reel::neural {
namespace {

// The stored sigmas are float32 values; compare against hand-derived doubles at
// float32 resolution.
constexpr double kF32 = 1e-7;

TEST(FlowSchedule, ShiftOneTwoStepsIsPlainLinspace) {
  // linspace(0.999, 0, 3)[:2] = {0.999, 0.4995}; trunc(999.00001) = 999,
  // trunc(499.50001) = 499.
  FlowSchedule s = flow_schedule(2, 1.0);
  ASSERT_EQ(s.steps(), 2);
  ASSERT_EQ(s.sigmas.size(), 3u);
  EXPECT_NEAR(s.sigmas[0], 0.999, kF32);
  EXPECT_NEAR(s.sigmas[1], 0.4995, kF32);
  EXPECT_EQ(s.sigmas[2], 0.0);
  EXPECT_EQ(s.timesteps[0], 999);
  EXPECT_EQ(s.timesteps[1], 499);
}

TEST(FlowSchedule, ShiftFiveTwoSteps) {
  // 5u / (1 + 4u): u = 0.999 → 4.995 / 4.996; u = 0.4995 → 2.4975 / 2.998 = 0.83306.
  FlowSchedule s = flow_schedule(2, 5.0);
  EXPECT_NEAR(s.sigmas[0], 4.995 / 4.996, kF32);
  EXPECT_NEAR(s.sigmas[1], 2.4975 / 2.998, kF32);
  EXPECT_EQ(s.timesteps[0], 999);
  EXPECT_EQ(s.timesteps[1], 833);
}

TEST(FlowSchedule, ShiftThreeFourSteps) {
  // u = {0.999, 0.74925, 0.4995, 0.24975}; 3u / (1 + 2u) =
  // {2.997/2.998, 2.24775/2.4985, 1.4985/1.999, 0.74925/1.4995}
  // = {0.99967, 0.89964, 0.74962, 0.49967}.
  FlowSchedule s = flow_schedule(4, 3.0);
  const double want[] = {2.997 / 2.998, 2.24775 / 2.4985, 1.4985 / 1.999, 0.74925 / 1.4995};
  const std::int64_t want_t[] = {999, 899, 749, 499};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(s.sigmas[i], want[i], kF32) << i;
    EXPECT_EQ(s.timesteps[i], want_t[i]) << i;
  }
  EXPECT_EQ(s.sigmas[4], 0.0);
}

TEST(FlowSchedule, FiftyStepsAreDecreasingFloat32AndTimestepsTruncate) {
  FlowSchedule s = flow_schedule(50, 5.0);
  ASSERT_EQ(s.sigmas.size(), 51u);
  ASSERT_EQ(s.timesteps.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(static_cast<double>(static_cast<float>(s.sigmas[i])), s.sigmas[i]) << i;
    EXPECT_GT(s.sigmas[i], s.sigmas[i + 1]) << i;
    // Truncation, not rounding: the timestep is at most 1 below sigma * 1000.
    const double scaled = s.sigmas[i] * 1000;
    EXPECT_LE(static_cast<double>(s.timesteps[i]), scaled + 1e-3) << i;
    EXPECT_GT(static_cast<double>(s.timesteps[i]), scaled - 1) << i;
  }
  EXPECT_EQ(s.timesteps.front(), 999);
  // Last: u = 0.999 / 50 = 0.01998; 5u / (1 + 4u) = 0.0999 / 1.07992 = 0.092507.
  EXPECT_NEAR(s.sigmas[49], 0.0999 / 1.07992, kF32);
  EXPECT_EQ(s.timesteps[49], 92);
}

TEST(FlowSchedule, ShiftFormula) {
  EXPECT_DOUBLE_EQ(flow_shift(0.3, 1.0), 0.3);
  EXPECT_DOUBLE_EQ(flow_shift(0.5, 3.0), 0.75);
  EXPECT_DOUBLE_EQ(flow_shift(1.0, 7.0), 1.0);
  EXPECT_DOUBLE_EQ(flow_shift(0.0, 7.0), 0.0);
}

TEST(FlowSchedule, RejectsBadStepsAndShift) {
  auto kind_of = [](int steps, double shift) {
    try {
      flow_schedule(steps, shift);
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::Internal;
  };
  EXPECT_EQ(kind_of(0, 5.0), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of(1001, 5.0), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of(10, 0.0), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of(10, -1.0), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of(10, std::numeric_limits<double>::quiet_NaN()), ErrorKind::InvalidInput);
}

}  // namespace
}  // namespace reel::neural
