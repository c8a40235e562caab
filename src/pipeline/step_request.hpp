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

// Pixel work a step asks for (width x height x frames, in megapixels), for estimates.
double step_megapixels(const Step& step, const std::map<std::string, double>& input_megapixels);

}  // namespace reel::pipeline
