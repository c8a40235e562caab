#include "server/output_signing.hpp"

#include <algorithm>
#include <random>
#include <set>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::server {
namespace fs = std::filesystem;

fs::path signed_artifact_path(const pipeline::ArtifactStore& store, const std::string& hash,
                              bool video) {
  return store.root() / "signed" / (hash + (video ? ".mp4" : ".png"));
}

namespace {

std::string random_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return Hash128{rng(), rng()}.hex();
}

// The step and every step upstream of it, the step first (its model is the creator).
std::vector<const pipeline::Step*> lineage(const pipeline::Graph& graph, const std::string& id) {
  std::vector<const pipeline::Step*> out;
  std::set<std::string> seen;
  std::vector<std::string> todo{id};
  while (!todo.empty()) {
    const std::string next = todo.front();
    todo.erase(todo.begin());
    const pipeline::Step* s = graph.find(next);
    if (!s || !seen.insert(next).second) continue;
    out.push_back(s);
    for (const auto& [slot, ref] : s->inputs)
      if (graph.find(ref)) todo.push_back(ref);
  }
  return out;
}

}  // namespace

void sign_job_artifacts(const model::Registry& registry, const pipeline::ArtifactStore& store,
                        const pipeline::Graph& graph, const pipeline::RunResult& run) {
  // The model each step ran with ("auto" resolved), as the cost report names it.
  std::map<std::string, std::string> model_of;
  for (const auto& s : run.cost.steps) model_of[s.step] = s.model;
  for (const auto& [step, a] : run.artifacts) {
    if (a.file.empty()) continue;
    const bool video = a.type == model::ValueType::video;
    const fs::path target = signed_artifact_path(store, a.key.hex(), video);
    std::error_code ec;
    if (fs::exists(target, ec)) continue;  // signed by an earlier job: same bytes, same lineage
    provenance::ManifestFacts facts;
    facts.title = target.filename().string();
    for (const pipeline::Step* s : lineage(graph, step)) {
      const auto it = model_of.find(s->id);
      auto m = registry.find(it != model_of.end() ? it->second : s->model);
      if (!m) continue;
      facts.models.push_back({s->id, m->card(), s->params});
    }
    const auto& parent = video ? (a.video ? a.video->source_credentials : std::nullopt)
                               : (a.image ? a.image->source_credentials : std::nullopt);
    if (parent) facts.ingredients.push_back(provenance::parent_ingredient(*parent));
    facts.cost = run.cost.to_json();
    facts.notes = run.notes;
    fs::create_directories(target.parent_path());
    // Signed as a private copy beside the target, then renamed over it: a reader sees all
    // or nothing, and two workers signing the same artifact each rename a whole file.
    const fs::path tmp = target.string() + ".signing-" + random_suffix();
    try {
      write_file_atomic(tmp, read_file(a.file));
      provenance::sign_file(tmp, facts);
      fs::rename(tmp, target);
    } catch (...) {
      fs::remove(tmp, ec);
      throw;
    }
  }
}

std::function<std::string(const model::ModelCard&)> job_policy(const Json& body) {
  if (!body.is_object() || !body.contains("policy")) return nullptr;
  const auto names = provenance::policy_names();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  const Json& p = body["policy"];
  if (!p.is_string() || std::find(names.begin(), names.end(), p.get<std::string>()) == names.end())
    throw Error(ErrorKind::InvalidInput,
                "'policy' must name a built-in licence policy: " + list + " (docs/provenance.md)");
  const provenance::Policy policy = provenance::policy_by_name(p.get<std::string>());
  return [policy](const model::ModelCard& card) { return provenance::refuse_reason(policy, card); };
}

}  // namespace reel::server
