#include "neural/flow_schedule.hpp"

#include <cmath>
#include <string>

#include "reel/core/error.hpp"

namespace reel::neural {

double flow_shift(double sigma, double shift) {
  return shift * sigma / (1 + (shift - 1) * sigma);
}

FlowSchedule flow_schedule(int steps, double shift) {
  if (steps < 1 || steps > kFlowTrainTimesteps)
    throw_error(ErrorKind::InvalidInput, "sampling steps must be in [1, " +
                                             std::to_string(kFlowTrainTimesteps) + "], got " +
                                             std::to_string(steps));
  if (!std::isfinite(shift) || shift <= 0)
    throw_error(ErrorKind::InvalidInput,
                "flow shift must be a finite number > 0, got " + std::to_string(shift));

  // The training grid is built in double and stored as float32; its first entry is
  // the sampling schedule's start.
  const double sigma_max = static_cast<float>(1.0 - 1.0 / kFlowTrainTimesteps);
  // numpy.linspace(start, stop, N + 1): start + i * ((stop - start) / N).
  const double delta = (0.0 - sigma_max) / steps;

  FlowSchedule s;
  s.sigmas.reserve(steps + 1);
  s.timesteps.reserve(steps);
  for (int i = 0; i < steps; ++i) {
    double sigma = flow_shift(i * delta + sigma_max, shift);
    // The scheduler truncates the double to int64 and keeps the float32 sigma.
    s.timesteps.push_back(static_cast<std::int64_t>(sigma * kFlowTrainTimesteps));
    s.sigmas.push_back(static_cast<float>(sigma));
  }
  s.sigmas.push_back(0.0);
  return s;
}

}  // namespace reel::neural
