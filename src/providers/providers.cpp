// Options, listings and registration of the hosted models.
#include "reel/providers/providers.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "providers/hosted_model.hpp"
#include "providers/provider.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"

namespace reel::providers {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

ProviderOptions ProviderOptions::from_env() {
  ProviderOptions o;
  for (const auto& p : all_providers()) {
    for (const auto& var : p->key_vars())
      if (const char* v = std::getenv(var.c_str()); v && *v) o.keys[var] = v;
    const std::string base_var = "REEL_" + upper(p->name()) + "_BASE_URL";
    if (const char* v = std::getenv(base_var.c_str()); v && *v) o.base_urls[p->name()] = v;
  }
  if (const char* v = std::getenv("REEL_PROVIDER_POLL_MS"); v && *v)
    o.poll_interval = std::chrono::milliseconds(std::clamp(std::atol(v), 1L, 600'000L));
  if (const char* v = std::getenv("REEL_PROVIDER_TIMEOUT_S"); v && *v)
    o.timeout = std::chrono::seconds(std::clamp(std::atol(v), 1L, 86'400L));
  if (const char* v = std::getenv("REEL_PROVIDER_PRICES"); v && *v) o.load_prices_file(v);
  return o;
}

void ProviderOptions::load_keys_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(ErrorKind::NotFound, "provider keys file not found: " + path.string());
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    throw Error(ErrorKind::InvalidInput,
                "provider keys file " + path.string() +
                    " is readable by others; allowed: owner only (chmod 600 " + path.string() +
                    ")");
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    const std::string name = eq == std::string::npos ? "" : trim(line.substr(0, eq));
    if (name.empty() ||
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
      throw Error(ErrorKind::InvalidInput, path.string() + " line " + std::to_string(n) +
                                               ": expected NAME=VALUE with an upper-case NAME");
    keys[name] = trim(line.substr(eq + 1));
  }
}

void ProviderOptions::load_prices_file(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path))
    throw Error(ErrorKind::NotFound, "provider prices file not found: " + path.string());
  const std::string what = "provider prices file " + path.string();
  const Json doc = parse_json(read_file(path, 1ull << 20), what);
  if (!doc.is_object())
    throw Error(ErrorKind::InvalidInput,
                what + ": expected a JSON object of model id → {\"per\", \"usd\", \"source\"}");
  const std::string units = "output_second, image or megapixel";
  std::map<std::string, model::CallPrice> read;
  for (const auto& [id, rule] : doc.items()) {
    const std::string at = what + ", entry '" + id + "'";
    const auto colon = id.find(':');
    if (colon == std::string::npos || colon + 1 == id.size() ||
        !find_provider(id.substr(0, colon))) {
      std::string names;
      for (const auto& p : all_providers()) names += (names.empty() ? "" : ", ") + p->name();
      throw Error(ErrorKind::InvalidInput,
                  at + ": expected a hosted model id PROVIDER:MODEL; providers: " + names);
    }
    if (!rule.is_object())
      throw Error(ErrorKind::InvalidInput, at + ": expected {\"per\", \"usd\", \"source\"}");
    for (const auto& [field, value] : rule.items())
      if (field != "per" && field != "usd" && field != "source")
        throw Error(ErrorKind::InvalidInput,
                    at + ": unknown field '" + field + "'; allowed: per, usd, source");
    const auto per_it = rule.find("per");
    if (per_it == rule.end() || !per_it->is_string())
      throw Error(ErrorKind::InvalidInput, at + ": \"per\" must be one of " + units);
    const std::string per = per_it->get<std::string>();
    model::CallPrice price;
    if (per == "output_second")
      price.per = model::PricePer::output_second;
    else if (per == "image")
      price.per = model::PricePer::image;
    else if (per == "megapixel")
      price.per = model::PricePer::megapixel;
    else
      throw Error(ErrorKind::InvalidInput, at + ": \"per\" is '" + per + "'; allowed: " + units);
    const auto usd = rule.find("usd");
    if (usd == rule.end() || !usd->is_number() || !std::isfinite(usd->get<double>()) ||
        usd->get<double>() < 0 || usd->get<double>() > 1000)
      throw Error(ErrorKind::InvalidInput,
                  at + ": \"usd\" must be a number from 0 to 1000 (dollars per " + per + ")");
    price.usd = usd->get<double>();
    const auto source = rule.find("source");
    if (source == rule.end() || !source->is_string() || source->get<std::string>().empty())
      throw Error(ErrorKind::InvalidInput,
                  at + ": \"source\" must say where the figure comes from (shown in cost "
                       "reports), e.g. \"our fal invoice, 2026-12\"");
    price.source =
        "operator's price (" + path.filename().string() + "): " + source->get<std::string>();
    read[id] = price;
  }
  for (auto& [id, price] : read) prices[id] = price;  // all or nothing
}

std::vector<ProviderInfo> provider_infos(const ProviderOptions& options) {
  std::vector<ProviderInfo> out;
  for (const auto& p : all_providers()) {
    ProviderInfo i;
    i.name = p->name();
    i.key_vars = p->key_vars();
    i.default_base_url = p->default_base_url();
    i.key_set = true;
    for (const auto& var : i.key_vars)
      if (auto it = options.keys.find(var); it == options.keys.end() || it->second.empty())
        i.key_set = false;
    for (const auto& row : model_table())
      if (row.provider == i.name) i.models.push_back(row.id());
    // Models only the operator priced are listed too (a table model appears once).
    for (const auto& [id, price] : options.prices)
      if (id.rfind(i.name + ":", 0) == 0 &&
          std::find(i.models.begin(), i.models.end(), id) == i.models.end())
        i.models.push_back(id);
    out.push_back(std::move(i));
  }
  return out;
}

void register_models(model::Registry& registry, const ProviderOptions& options) {
  for (const auto& row : model_table())
    registry.add(make_hosted_model(*find_provider(row.provider), row.model, &row, options));
  registry.add_resolver([options](const std::string& id) -> std::shared_ptr<model::Model> {
    const auto colon = id.find(':');
    if (colon == std::string::npos || colon + 1 == id.size()) return nullptr;
    const Provider* p = find_provider(id.substr(0, colon));
    if (!p) return nullptr;
    const std::string name = id.substr(colon + 1);
    return make_hosted_model(*p, name, find_row(p->name(), name), options);
  });
}

}  // namespace reel::providers
