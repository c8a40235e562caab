// The family table. Adding a family: one row here, its own files, nothing else.
#include "reel/catalog/catalog.hpp"
#include "reel/studio/studio.hpp"

namespace reel::catalog {

const std::vector<Family>& families() {
  static const std::vector<Family> table = {
      {"studio", "built-in procedural models: offline, no weights, deterministic",
       [](model::Registry& r, const BackendOptions&) { studio::register_models(r); }},
      {"wan", "Wan2.1/2.2 open-weight video models on reel's native engine (reel-neural)",
       [](model::Registry& r, const BackendOptions& o) { wan::register_models(r, o.wan); }},
      {"providers", "hosted models (fal, Replicate, ...) with your own API keys, paid per call",
       [](model::Registry& r, const BackendOptions& o) {
         providers::register_models(r, o.providers);
       }},
  };
  return table;
}

void register_builtin_models(model::Registry& registry, const BackendOptions& options) {
  for (const Family& f : families()) f.register_models(registry, options);
}

}  // namespace reel::catalog
