#pragma once
// Runs a validated graph: steps whose inputs are ready run in parallel (bounded by
// per-device slots), every output goes through the content-addressed store (a step
// whose key is already stored is not executed), and the ledger prices each step.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "reel/core/cancel.hpp"
#include "reel/media/mp4.hpp"
#include "reel/pipeline/artifact.hpp"
#include "reel/pipeline/graph.hpp"
#include "reel/pipeline/ledger.hpp"
#include "reel/pipeline/store.hpp"

namespace reel::pipeline {

enum class EventKind { step_started, step_progress, step_finished, step_cached, step_failed };
std::string_view to_string(EventKind k);

struct Event {
  EventKind kind;
  std::string step;
  std::string model;
  double fraction = 0;  // progress in [0,1]
  std::string message;  // progress message or failure text
  double seconds = 0;   // for finished: the step's wall time
  // For finished: what the ledger charges the step (a paid call's bill or price rule,
  // else its machine time at the run's price sheet) — what a canceled job still pays.
  double usd = 0;
  // For finished and cached: the step's notes ("step 'x': ..."), as RunResult lists them.
  std::vector<std::string> notes;
};

struct RunOptions {
  CancelToken cancel;
  // Called from worker threads; must be thread-safe and quick.
  std::function<void(const Event&)> on_event;
  int cpu_slots = 2;   // CPU steps that may run at once
  int cuda_slots = 1;  // GPU steps that may run at once (per device)
  bool use_cache = true;
  PriceSheet prices = PriceSheet::defaults();
  int cpu_cores = 0;  // for pricing; 0 = this machine's
  media::Mp4Options video_encode{18, "veryfast", true, 0};
  std::function<std::string(const model::ModelCard&)> policy;
  // What the run may make (sizes, frames, duration, prompt length), checked against each
  // step's params and against its resolved call (pipeline/preflight.hpp) before anything
  // runs. The server tightens them to the API key's limits.
  model::Limits limits = model::default_limits();
  // Non-empty: mixed into every step's cache key, so runs with different scopes never
  // share cached artifacts. The server scopes each API key's jobs, so no key learns from
  // a cache hit (or its speed) what another key made (docs/server.md, "Limits and abuse").
  std::string cache_scope;
};

struct RunResult {
  std::map<std::string, Artifact> artifacts;  // by step id
  Artifact output;
  CostReport cost;
  std::vector<std::string> notes;  // "step 'x': ..." from every step that ran or was cached
  int executed = 0;
  int cached = 0;
};

// Estimate before running (--dry-run): per step seconds and USD from cost profiles. A plan
// is only made for a graph that passed the pre-flight check (preflight.hpp).
struct PlanStep {
  std::string step;
  std::string model;
  std::string key;
  bool cached = false;
  double seconds = 0;
  double usd = 0;
  bool unpriced = false;  // a paid call whose price reel does not know (usd is 0)
  // Where `seconds` comes from (model::EstimateSource's name): "measured" (the card's
  // profile), "calibrated" (on this machine), "published" (the publisher's timing, on
  // the publisher's hardware) or "price-rule" (a paid call).
  std::string estimate_source;
  // Non-empty when the figure is a guess for this run: measured on another device kind
  // than the step runs on (a GPU figure for a CPU run), with what would make it real.
  std::string estimate_warning;
};
struct RunPlan {
  std::vector<PlanStep> steps;  // topological order
  double seconds = 0;           // sum over steps not cached
  double usd = 0;
  Json to_json() const;
  std::string to_text() const;
};

class Executor {
 public:
  Executor(const model::Registry& registry, ArtifactStore& store);

  RunPlan plan(const Graph& graph, const RunOptions& options = {}) const;
  RunResult run(const Graph& graph, const RunOptions& options = {});

 private:
  const model::Registry& registry_;
  ArtifactStore& store_;
};

// The cache key of a step given its resolved model and its inputs' keys.
Hash128 step_key(const Step& step, const model::ModelCard& card, std::uint64_t seed,
                 const std::map<std::string, Hash128>& input_keys,
                 const media::Mp4Options& video_encode);

}  // namespace reel::pipeline
