#include "reel/pipeline/preflight.hpp"

#include <map>

#include "reel/model/limits.hpp"
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

// The call as the model will make it, held to the run's limits: the pipeline's own
// checks saw only the params given, so leaving a size or a duration out must not get
// more than asking for it. Returns the output size (unknown: {0, 0}).
model::Size check_resolved(const Step& step, const model::Model& m, const model::PlannedCall& call,
                           const model::Limits& limits) {
  model::Size size = m.output_size(call);
  if (!size.known()) {
    // Tasks whose output is one of their inputs' sizes, whichever model runs them.
    const char* slot = step.task == model::Task::composite ? "background"
                       : step.task == model::Task::matting ? "image"
                                                           : nullptr;
    if (auto it = slot ? call.input_sizes.find(slot) : call.input_sizes.end();
        it != call.input_sizes.end())
      size = it->second;
  }
  const bool asked = call.width != 0 && call.height != 0;
  if (size.known())
    model::check_size(
        size.width, size.height, limits,
        asked ? std::string("output")
              : "output (the size " + m.card().id + " makes when " +
                    (call.width || call.height ? "one side is given" : "no width/height is given") +
                    ")");
  if (model::output_type(step.task) == model::ValueType::video) {
    const bool timed = step.params.contains("duration") && step.params.contains("fps");
    const std::string what = timed ? std::string("clip")
                                   : "clip (with the defaults for what is not "
                                     "given: 5 s at 24 fps)";
    model::check_fps(call.fps, limits, what);
    model::check_duration(call.duration_seconds, call.fps, limits, what);
  }
  return size;
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
  // Each step's output size once its model's defaults are filled in, so a step that
  // takes its size from its input (an animator over a background) is checked too.
  std::map<std::string, model::Size> made;
  for (const ResolvedStep& rs : graph.order) {
    const model::ModelCard& card = rs.model->card();
    model::PlannedCall call = planned_call(*rs.step, {});
    // An uploaded or imported image is not read before running: its size is unknown here
    // (uploads are held to the key's limits when they arrive, docs/api.md).
    for (const auto& [slot, ref] : rs.step->inputs) {
      auto it = made.find(ref);
      call.input_sizes[slot] = it != made.end() ? it->second : model::Size{};
    }
    with_context("step '" + rs.step->id + "' (" + card.id + ")", [&] {
      rs.model->check(call);
      made[rs.step->id] = check_resolved(*rs.step, *rs.model, call, graph.limits);
    });
  }
}

}  // namespace reel::pipeline
