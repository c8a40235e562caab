#include "neural/flow_solver.hpp"

#include <string>

#include "neural/flow_euler.hpp"
#include "neural/flow_unipc.hpp"
#include "reel/core/error.hpp"

namespace reel::neural {

FlowSolverKind parse_flow_solver(std::string_view name) {
  if (name == "euler") return FlowSolverKind::euler;
  if (name == "unipc") return FlowSolverKind::unipc;
  throw_error(ErrorKind::InvalidInput,
              "unknown sampler '" + std::string(name) + "' (allowed: euler, unipc)");
}

std::string_view to_string(FlowSolverKind kind) {
  switch (kind) {
    case FlowSolverKind::euler:
      return "euler";
    case FlowSolverKind::unipc:
      return "unipc";
  }
  return "?";
}

int FlowSolver::begin_step() {
  if (done())
    throw_error(ErrorKind::Internal, "flow solver stepped past the last of its " +
                                         std::to_string(schedule_.steps()) + " steps");
  return index_++;
}

std::unique_ptr<FlowSolver> make_flow_solver(FlowSolverKind kind, FlowSchedule schedule) {
  switch (kind) {
    case FlowSolverKind::euler:
      return std::make_unique<FlowEulerSolver>(std::move(schedule));
    case FlowSolverKind::unipc:
      return std::make_unique<FlowUniPCSolver>(std::move(schedule));
  }
  throw_error(ErrorKind::Internal, "unhandled flow solver kind");
}

torch::ScalarType flow_state_dtype(const torch::Tensor& like) {
  return like.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
}

}  // namespace reel::neural
