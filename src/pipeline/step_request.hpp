#pragma once
// Turns a step's JSON params and input artifacts into a model's typed request, and
// calls the model. Private to the pipeline layer.
#include <exception>
#include <functional>
#include <map>
#include <string>

#include "reel/pipeline/artifact.hpp"
#include "reel/pipeline/graph.hpp"

namespace reel::pipeline {

struct StepOutput {
  model::ValueType type;
  model::ImageResult image;
  model::VideoResult video;
};

StepOutput run_step_model(const Step& step, model::Model& m, std::uint64_t seed,
                          const std::map<std::string, Artifact>& inputs, model::RunContext& ctx);

// The model as an AsyncCalls that starts calls of the step's task, or null (then the step
// is called on a thread of the executor's, run_step_model).
model::AsyncCalls* async_model(const Step& step, model::Model& m);
// The same call as run_step_model, started: returns at once (or throws what is refused
// before any request); `done` gets the output or the error, on the model's thread.
void start_step_model(const Step& step, model::AsyncCalls& m, std::uint64_t seed,
                      const std::map<std::string, Artifact>& inputs, model::RunContext& ctx,
                      std::function<void(std::exception_ptr, StepOutput)> done);

// What the planner hands a model's estimate_seconds: the step's asked size, timing and
// extra params, and the pixel work it asks for (width x height x frames, in megapixels;
// a size not asked is the background's or the largest input's, else 1280x720).
model::PlannedCall planned_call(const Step& step,
                                const std::map<std::string, double>& input_megapixels);

}  // namespace reel::pipeline
