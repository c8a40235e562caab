#pragma once
// Turns a step's JSON params and input artifacts into a model's typed request, and
// calls the model. Private to the pipeline layer.
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

// What the planner hands a model's estimate_seconds: the step's asked size, timing and
// extra params, and the pixel work it asks for (width x height x frames, in megapixels;
// a size not asked is the background's or the largest input's, else 1280x720).
model::PlannedCall planned_call(const Step& step,
                                const std::map<std::string, double>& input_megapixels);

}  // namespace reel::pipeline
