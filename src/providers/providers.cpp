// Options, listings and registration of the hosted models.
#include "reel/providers/providers.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include "providers/hosted_model.hpp"
#include "providers/provider.hpp"
#include "reel/core/error.hpp"

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
