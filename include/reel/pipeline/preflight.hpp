#pragma once
// The pre-flight check: everything about a graph's steps that can be known before
// anything runs, asked of the models themselves — whether each can run here (weights,
// keys) and whether it accepts the call (its size and frame rules, its `extra` keys). The
// executor runs it in plan() and at the start of run(), so `reel run --dry-run`,
// POST /v1/estimates, POST /v1/jobs and the SDK refuse the same runs, and a run never
// spends on one step and then fails on another for a reason known up front.
#include <string>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/pipeline/graph.hpp"

namespace reel::pipeline {

// A step whose model cannot run here. Kind NotFound (exit 4, as the model's own refusal
// at run time); the message carries the model's availability reason, which may name local
// paths — public_message() is the same refusal in the path-free words of `needs`.
class ModelUnavailable : public Error {
 public:
  ModelUnavailable(const std::string& step, const model::ModelCard& card);
  const std::string& step() const { return step_; }
  const std::string& model() const { return model_; }
  const std::vector<std::string>& needs() const { return needs_; }
  std::string public_message() const;

 private:
  std::string step_, model_;
  std::vector<std::string> needs_;
};

// Every step of `graph` in order: ModelUnavailable for the first whose model is not
// available, else the model's own check of the call (Error naming the step, the model
// and what is allowed). Models must have been refreshed (the executor does that).
void preflight(const ValidatedGraph& graph);

}  // namespace reel::pipeline
