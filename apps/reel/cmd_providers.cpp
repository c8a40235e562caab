// `reel providers`: the hosted-model adapters, their priced models and whether a key is
// set — never the key.
#include <cstdio>

#include "args.hpp"
#include "commands.hpp"
#include "reel/catalog/catalog.hpp"
#include "reel/core/error.hpp"

namespace reel::cli {

int cmd_providers(const Argv& argv) {
  Args a(argv, {"--json"}, {"--provider-keys", "--provider-prices"});
  a.max_positional(0, "reel providers [--provider-keys FILE] [--provider-prices FILE] [--json]");
  catalog::BackendOptions backends;
  if (auto f = a.value("--provider-keys")) backends.providers.load_keys_file(*f);
  if (auto f = a.value("--provider-prices")) backends.providers.load_prices_file(*f);
  model::Registry registry;
  catalog::register_builtin_models(registry, backends);
  Json all = Json::array();
  for (const auto& p : providers::provider_infos(backends.providers)) {
    Json models = Json::array();
    for (const auto& id : p.models) {
      const model::ModelCard& c = registry.get(id)->card();
      models.push_back({{"id", id},
                        {"price_per", model::to_string(c.price.per)},
                        {"usd", c.price.usd},
                        {"source", c.price.source},
                        {"training_data", model::to_string(c.training_data)}});
    }
    const auto base = backends.providers.base_urls.find(p.name);
    all.push_back({{"provider", p.name},
                   {"key_vars", p.key_vars},
                   {"key_set", p.key_set},
                   {"base_url",
                    base != backends.providers.base_urls.end() ? base->second : p.default_base_url},
                   {"models", models}});
  }
  if (a.flag("--json")) {
    print_json(all.dump(2));
    return 0;
  }
  for (const auto& p : all) {
    std::string vars;
    for (const auto& v : p["key_vars"]) vars += (vars.empty() ? "" : " + ") + v.get<std::string>();
    std::printf("%-10s key %-22s %s   %s\n", p["provider"].get<std::string>().c_str(), vars.c_str(),
                p["key_set"].get<bool>() ? "set" : "NOT SET",
                p["base_url"].get<std::string>().c_str());
    for (const auto& m : p["models"]) {
      const std::string per = m["price_per"];
      char price[64];
      if (per == "unpriced")
        std::snprintf(price, sizeof price, "unpriced");
      else
        std::snprintf(price, sizeof price, "$%.4f per %s", m["usd"].get<double>(),
                      per == "output_second" ? "output second" : per.c_str());
      std::printf("  %-58s %-26s %s\n", m["id"].get<std::string>().c_str(), price,
                  m["training_data"].get<std::string>().c_str());
    }
  }
  std::printf(
      "any other PROVIDER:MODEL id of these providers runs too, unpriced unless "
      "--provider-prices FILE prices it (docs/providers.md)\n");
  return 0;
}

}  // namespace reel::cli
