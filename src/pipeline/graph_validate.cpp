// validate(): everything a pipeline must satisfy before anything runs.
#include <algorithm>
#include <map>

#include "pipeline/graph_params.hpp"
#include "reel/core/error.hpp"
#include "reel/pipeline/graph.hpp"

namespace reel::pipeline {
namespace {

using detail::join;
using model::Task;
using model::ValueType;

constexpr std::size_t kMaxSteps = 256;
constexpr std::size_t kMaxIdChars = 64;
constexpr std::string_view kArtifactPrefix = "artifact:";
constexpr std::string_view kFilePrefix = "file:";

std::string step_what(const Step& s) {
  return "step '" + s.id + "'";
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdChars) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_hex32(std::string_view s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string step_ids(const Graph& g) {
  std::vector<std::string> ids;
  for (const Step& s : g.steps) ids.push_back(s.id);
  return join(ids);
}

std::string a_value(ValueType t) {
  return t == ValueType::image ? "an image" : "a video";
}

void check_ids(const Graph& g) {
  if (g.steps.empty())
    throw Error(ErrorKind::InvalidInput, "pipeline '" + g.name + "' has no steps; add 1.." +
                                             std::to_string(kMaxSteps) + " steps");
  if (g.steps.size() > kMaxSteps)
    throw Error(ErrorKind::InvalidInput, "pipeline '" + g.name + "' has " +
                                             std::to_string(g.steps.size()) + " steps; at most " +
                                             std::to_string(kMaxSteps) + " are allowed");
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < g.steps.size(); ++i) {
    const std::string& id = g.steps[i].id;
    if (!valid_id(id))
      throw Error(ErrorKind::InvalidInput, "step " + std::to_string(i + 1) + " has id '" + id +
                                               "'; ids are 1.." + std::to_string(kMaxIdChars) +
                                               " characters from a-z, 0-9, '_' and '-'");
    auto [it, fresh] = seen.emplace(id, i);
    if (!fresh)
      throw Error(ErrorKind::InvalidInput, "step '" + id + "' is defined twice (steps " +
                                               std::to_string(it->second + 1) + " and " +
                                               std::to_string(i + 1) + "); ids must be unique");
  }
  if (!g.output.empty() && !g.find(g.output))
    throw Error(ErrorKind::InvalidInput,
                "output '" + g.output + "' is not a step of the pipeline; steps: " + step_ids(g));
}

void check_inputs(const Graph& g, const Step& step) {
  const TaskSpec& spec = task_spec(step.task);
  std::string task(model::to_string(step.task));
  for (const auto& input : step.inputs) {
    // References, not structured bindings: clang 14 (which builds the fuzz targets)
    // cannot capture a structured binding in a lambda.
    const std::string& slot = input.first;
    const std::string& ref = input.second;
    auto it = std::find_if(spec.slots.begin(), spec.slots.end(),
                           [&](const SlotSpec& s) { return s.name == slot; });
    if (it == spec.slots.end()) {
      std::vector<std::string> names;
      for (const SlotSpec& s : spec.slots) names.push_back(s.name);
      throw Error(ErrorKind::InvalidInput,
                  step_what(step) + ": unknown input '" + slot + "' for task " + task + "; " +
                      (names.empty() ? "this task takes no inputs" : "allowed: " + join(names)));
    }
    std::string_view r = ref;
    if (r.substr(0, kArtifactPrefix.size()) == kArtifactPrefix) {
      if (!is_hex32(r.substr(kArtifactPrefix.size())))
        throw Error(ErrorKind::InvalidInput,
                    step_what(step) + ": input '" + slot + "' refers to '" + ref +
                        "'; an artifact reference is 'artifact:' then 32 hex digits (0-9, a-f)");
      continue;
    }
    if (r.substr(0, kFilePrefix.size()) == kFilePrefix) {
      if (r.size() == kFilePrefix.size())
        throw Error(ErrorKind::InvalidInput, step_what(step) + ": input '" + slot +
                                                 "' is 'file:' without a path; write file:<path>");
      if (it->type != ValueType::image)
        throw Error(ErrorKind::InvalidInput, step_what(step) + ": input '" + slot + "' expects " +
                                                 a_value(it->type) +
                                                 " but file references are images (PNG or JPEG)");
      continue;
    }
    const Step* from = g.find(ref);
    if (!from)
      throw Error(ErrorKind::InvalidInput, step_what(step) + ": input '" + slot +
                                               "' refers to unknown step '" + ref +
                                               "'; steps: " + step_ids(g) +
                                               " (or use artifact:<32 hex digits> or file:<path>)");
    ValueType made = model::output_type(from->task);
    if (made != it->type)
      throw Error(ErrorKind::InvalidInput, step_what(step) + ": input '" + slot + "' expects " +
                                               a_value(it->type) + " but step '" + ref + "' (" +
                                               std::string(model::to_string(from->task)) +
                                               ") makes " + a_value(made));
  }
  for (const SlotSpec& s : spec.slots)
    if (s.required && !step.inputs.count(s.name))
      throw Error(ErrorKind::InvalidInput, step_what(step) + ": input '" + s.name + "' (" +
                                               a_value(s.type) + ") is required for task " + task);
}

// Steps that `step` takes input from, as indices, each once, in slot order.
std::vector<std::size_t> dependencies(const Graph& g, const Step& step,
                                      const std::map<std::string, std::size_t>& index) {
  std::vector<std::size_t> deps;
  for (const auto& [slot, ref] : step.inputs) {
    auto it = index.find(ref);
    if (it != index.end() && std::find(deps.begin(), deps.end(), it->second) == deps.end())
      deps.push_back(it->second);
  }
  return deps;
}

// Kahn's algorithm, taking the earliest ready step in file order so the order is
// stable; on a cycle, walks it to print "a → b → a".
std::vector<std::size_t> topological_order(const Graph& g) {
  std::size_t n = g.steps.size();
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) index[g.steps[i].id] = i;
  std::vector<std::vector<std::size_t>> deps(n);
  for (std::size_t i = 0; i < n; ++i) deps[i] = dependencies(g, g.steps[i], index);

  std::vector<bool> done(n, false);
  std::vector<std::size_t> order;
  while (order.size() < n) {
    std::size_t next = n;
    for (std::size_t i = 0; i < n && next == n; ++i) {
      if (done[i]) continue;
      if (std::all_of(deps[i].begin(), deps[i].end(), [&](std::size_t d) { return done[d]; }))
        next = i;
    }
    if (next == n) break;
    done[next] = true;
    order.push_back(next);
  }
  if (order.size() == n) return order;

  // Every step left waits on another step left, so following waits must revisit one.
  std::size_t at = 0;
  while (done[at]) ++at;
  std::vector<std::size_t> path;
  std::vector<int> pos(n, -1);
  while (pos[at] < 0) {
    pos[at] = int(path.size());
    path.push_back(at);
    for (std::size_t d : deps[at])
      if (!done[d]) {
        at = d;
        break;
      }
  }
  std::string cycle;
  for (std::size_t k = std::size_t(pos[at]); k < path.size(); ++k)
    cycle += g.steps[path[k]].id + " → ";
  cycle += g.steps[at].id;
  throw Error(ErrorKind::InvalidInput,
              "step '" + g.steps[at].id + "': the inputs form a cycle: " + cycle +
                  " (each arrow points to the step whose output is used); a step cannot "
                  "depend on its own output");
}

std::shared_ptr<model::Model> resolve_model(const Step& step, const ValidationOptions& o) {
  const model::Registry& reg = *o.registry;
  std::string task(model::to_string(step.task));
  if (step.model == "auto") {
    try {
      return reg.pick(step.task, model::Constraints{std::nullopt, o.policy});
    } catch (const Error& e) {
      // Candidates that exist but were all refused by the policy make this a policy
      // refusal, not a missing model.
      bool policy_only = false;
      if (o.policy) {
        try {
          reg.pick(step.task);
          policy_only = true;
        } catch (const Error&) {
        }
      }
      throw Error(policy_only ? ErrorKind::Policy : e.kind(),
                  step_what(step) + ": model 'auto': " + e.message());
    }
  }
  std::shared_ptr<model::Model> m;
  try {
    m = reg.get(step.model);
  } catch (const Error& e) {
    throw Error(e.kind(), step_what(step) + ": " + e.message() + " (or 'auto')");
  }
  const model::ModelCard& card = m->card();
  if (!card.supports(step.task)) {
    std::vector<std::string> tasks;
    for (Task t : card.tasks) tasks.emplace_back(model::to_string(t));
    std::vector<std::string> able;
    for (const auto& other : reg.models())
      if (other->card().supports(step.task)) able.push_back(other->card().id);
    throw Error(ErrorKind::InvalidInput,
                step_what(step) + ": model '" + card.id + "' does not do task " + task +
                    " (it does: " + join(tasks) + "); models that do: " +
                    (able.empty() ? "none registered" : join(able)) + ", or 'auto'");
  }
  if (o.policy) {
    std::string why = o.policy(card);
    if (!why.empty())
      throw Error(ErrorKind::Policy, step_what(step) + ": model '" + card.id + "' refused: " + why);
  }
  return m;
}

}  // namespace

ValidatedGraph validate(const Graph& graph, const ValidationOptions& options) {
  REEL_ASSERT(options.registry != nullptr);
  check_ids(graph);
  // Shape first (inputs, params) for every step, then the graph, then the models: a
  // typo is reported before a question of which model is installed.
  for (const Step& step : graph.steps) {
    check_inputs(graph, step);
    detail::check_params(step, options.limits);
    if (step.model.empty())
      throw Error(ErrorKind::InvalidInput,
                  step_what(step) + ": model is empty; name a registered model or 'auto'");
  }
  std::vector<std::size_t> order = topological_order(graph);
  std::vector<std::shared_ptr<model::Model>> models;
  for (const Step& step : graph.steps) models.push_back(resolve_model(step, options));

  ValidatedGraph out;
  out.graph = &graph;
  out.limits = options.limits;
  for (std::size_t i : order) out.order.push_back({&graph.steps[i], models[i]});
  return out;
}

}  // namespace reel::pipeline
