#pragma once
// A pipeline is a graph of steps. Each step runs one task on one model; its inputs
// name other steps (or stored artifacts / image files) and its params are JSON.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/model/limits.hpp"
#include "reel/model/registry.hpp"
#include "reel/model/task.hpp"

namespace reel::pipeline {

// An input reference is one of:
//   "<step id>"              the output of another step
//   "artifact:<32 hex>"      an artifact already in the store
//   "file:<path>"            a PNG/JPEG file (relative to the pipeline file's folder)
struct Step {
  std::string id;  // [a-z0-9_-]{1,64}
  model::Task task = model::Task::text_to_image;
  std::string model = "auto";
  std::map<std::string, std::string> inputs;  // slot → reference
  Json params = Json::object();
  std::optional<std::uint64_t> seed;  // default: the graph's seed
};

struct Graph {
  std::string name = "pipeline";
  std::uint64_t seed = 0;
  std::vector<Step> steps;
  std::string output;    // step id of the result; default: the last step
  std::string base_dir;  // where "file:" references are resolved (the file's folder)

  const Step* find(const std::string& id) const;
  Step* find(const std::string& id);
  const std::string& output_step() const;
  Json to_json() const;
};

// What each task accepts: input slots (with the value type expected and whether
// required) and the params it understands.
struct SlotSpec {
  std::string name;
  model::ValueType type;
  bool required;
};
struct TaskSpec {
  std::vector<SlotSpec> slots;
  std::vector<std::string> params;  // allowed param keys ("extra" is always allowed)
};
const TaskSpec& task_spec(model::Task task);

struct ValidationOptions {
  const model::Registry* registry = nullptr;  // required
  model::Limits limits = model::default_limits();
  // Licence policy over the chosen models: "" allows, otherwise the reason.
  std::function<std::string(const model::ModelCard&)> policy;
};

// A validated graph: steps in an order where inputs come first, with models
// resolved ("auto" → a registered model).
struct ResolvedStep {
  const Step* step = nullptr;
  std::shared_ptr<model::Model> model;
};
struct ValidatedGraph {
  const Graph* graph = nullptr;
  std::vector<ResolvedStep> order;  // topological
  // The limits it was validated with: the pre-flight check holds each step's resolved
  // call (the model's defaults filled in) to them as well.
  model::Limits limits = model::default_limits();
};

// Checks everything before anything runs: ids, tasks, models (exist, support the
// task, pass the policy), input references (exist, types match, required slots
// present, no cycles), params (known keys, types, limits on size/fps/duration/
// frames/prompt length). Throws Error(InvalidInput / NotFound / Policy) naming the
// step and what is allowed.
ValidatedGraph validate(const Graph& graph, const ValidationOptions& options);

}  // namespace reel::pipeline
