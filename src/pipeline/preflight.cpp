#include "reel/pipeline/preflight.hpp"

#include "step_request.hpp"

namespace reel::pipeline {
namespace {

std::string needs_text(const std::vector<std::string>& needs) {
  std::string s;
  for (const auto& n : needs) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "unknown" : s;
}

std::string unavailable_text(const std::string& step, const model::ModelCard& card,
                             const std::string& why) {
  return "step '" + step + "': model '" + card.id + "' cannot run here (" + why +
         "; needs: " + needs_text(card.availability.needs) +
         "); nothing was run. `reel models` lists what each model needs (docs/models.md)";
}

}  // namespace

ModelUnavailable::ModelUnavailable(const std::string& step, const model::ModelCard& card)
    : Error(ErrorKind::NotFound,
            unavailable_text(
                step, card,
                card.availability.reason.empty() ? "not available" : card.availability.reason)),
      step_(step),
      model_(card.id),
      needs_(card.availability.needs) {}

std::string ModelUnavailable::public_message() const {
  return "step '" + step_ + "': model '" + model_ +
         "' is not available on this server (needs: " + needs_text(needs_) +
         "); GET /v1/models shows what each model needs";
}

void preflight(const ValidatedGraph& graph) {
  for (const ResolvedStep& rs : graph.order) {
    const model::ModelCard& card = rs.model->card();
    if (!card.availability.available) throw ModelUnavailable(rs.step->id, card);
  }
  for (const ResolvedStep& rs : graph.order) {
    const model::ModelCard& card = rs.model->card();
    // Input sizes are not known before the inputs exist: the check sees what was asked.
    const model::PlannedCall call = planned_call(*rs.step, {});
    with_context("step '" + rs.step->id + "' (" + card.id + ")", [&] { rs.model->check(call); });
  }
}

}  // namespace reel::pipeline
