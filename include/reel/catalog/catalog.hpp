#pragma once
// The one place model families plug in. The SDK session, `reel serve`, `reel worker`,
// `reel models` and `reel calibrate` all fill their registry here, so a new family is a
// row in the table (src/catalog/families.cpp) plus its own files
// (docs/dev/adding-a-model.md).
#include <string>
#include <vector>

#include "reel/model/registry.hpp"
#include "reel/providers/providers.hpp"
#include "reel/wan/wan.hpp"

namespace reel::catalog {

// What the families need to know about this machine. Each family reads its own part;
// a family without options reads nothing.
struct BackendOptions {
  // Wan checkpoints and the reel-neural child (REEL_MODELS, REEL_WAN_*, REEL_NEURAL_BIN).
  wan::WanOptions wan = wan::WanOptions::from_env();
  // Hosted-model keys and base URLs (FAL_KEY, REEL_FAL_BASE_URL, ...).
  providers::ProviderOptions providers = providers::ProviderOptions::from_env();

  // Applies one `--weights DIR|MODEL=DIR` command-line value.
  void add_weights_arg(const std::string& value) { wan.add_weights_arg(value); }
};

// One model family: a name for listings and the function that registers its models.
struct Family {
  const char* name;
  const char* summary;
  void (*register_models)(model::Registry& registry, const BackendOptions& options);
};

// In registration order: the offline studio models first, so Registry::pick prefers
// what needs no weights, no keys and no money.
const std::vector<Family>& families();

// Registers every family's models; a model that cannot run here (no weights, no key)
// is registered anyway and says why in its card's availability.
void register_builtin_models(model::Registry& registry, const BackendOptions& options = {});

}  // namespace reel::catalog
