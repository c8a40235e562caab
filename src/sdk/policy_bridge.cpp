#include "policy_bridge.hpp"

#include <algorithm>
#include <filesystem>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/provenance/provenance.hpp"
#include "reel/sdk/session.hpp"

namespace reel::sdk {
namespace fs = std::filesystem;

std::function<std::string(const model::ModelCard&)> make_policy_check(const std::string& policy) {
  if (policy.empty()) return nullptr;
  // A name from the built-in list, otherwise a path to a policy JSON file.
  auto names = provenance::policy_names();
  provenance::Policy p = std::find(names.begin(), names.end(), policy) != names.end()
                             ? provenance::policy_by_name(policy)
                         : fs::exists(policy) ? provenance::load_policy_file(policy)
                                              : provenance::policy_by_name(policy);
  return [p](const model::ModelCard& card) { return provenance::refuse_reason(p, card); };
}

void sign_output(const fs::path& file, Session& session, const Lineage& lineage,
                 const std::vector<const StillImage*>& ingredients, const Json& cost,
                 const std::vector<std::string>& notes,
                 const std::optional<model::SourceCredentials>& parent) {
  provenance::ManifestFacts facts;
  facts.title = file.filename().string();
  // The model that made the output comes first (it is the c2pa.created agent); the
  // models behind the ingredients follow.
  for (auto it = lineage.steps.rbegin(); it != lineage.steps.rend(); ++it) {
    auto m = session.registry().find(it->model);
    if (!m) continue;
    provenance::ModelUse use;
    use.step_id = it->step;
    use.card = m->card();
    use.params = lineage.params.value(it->step, Json::object());
    facts.models.push_back(std::move(use));
  }
  for (const StillImage* still : ingredients) {
    provenance::Ingredient ing;
    const auto& steps = still->lineage().steps;
    ing.title = (steps.empty() ? std::string("image") : steps.back().step) + ".png";
    ing.format = "image/png";
    std::string bytes = read_file(still->artifact().file);
    ing.data.assign(bytes.begin(), bytes.end());
    // The animator conditions on the still (it re-renders or warps it), so the
    // relationship is inputTo rather than a literal placement.
    ing.relationship = "inputTo";
    facts.ingredients.push_back(std::move(ing));
  }
  // The provider's own signed file, which reel decoded: its manifest rides along whole.
  if (parent)
    facts.ingredients.insert(facts.ingredients.begin(), provenance::parent_ingredient(*parent));
  facts.cost = cost;
  facts.notes = notes;
  facts.training_mining = session.options().training_mining;
  provenance::SigningConfig cfg;
  cfg.key_pem = session.options().sign_key;
  cfg.cert_chain_pem = session.options().sign_cert;
  with_context("signing " + file.string(), [&] { provenance::sign_file(file, facts, cfg); });
}

}  // namespace reel::sdk
