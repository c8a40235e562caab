#pragma once
// Hosted models (fal, Replicate, ...) as registry models: ids `provider:model`, the
// user's own API keys, one shared async engine (submit → poll → download → validate),
// a pending-call record so a killed run resumes instead of paying twice, and each
// model's price rule on its card (docs/providers.md).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "reel/model/registry.hpp"

namespace reel::providers {

struct ProviderOptions {
  // Secrets by variable name (FAL_KEY, REPLICATE_API_TOKEN, ...). Never logged, never in
  // cache keys, reports, manifests, errors or API answers.
  std::map<std::string, std::string> keys;
  // Provider name → base URL override (REEL_<PROVIDER>_BASE_URL): enterprise gateways,
  // regional endpoints, test doubles. Result URLs on that host may be internal.
  std::map<std::string, std::string> base_urls;
  // A task not finished after this long is cancelled at the provider and fails.
  std::chrono::seconds timeout{1800};
  // Poll no more often than this; 0 = each provider's documented interval
  // (REEL_PROVIDER_POLL_MS, for tests against local doubles).
  std::chrono::milliseconds poll_interval{0};
  std::uint64_t max_download_bytes = 512ull << 20;
  // Model id → the operator's price rule, winning over reel's table: prices a model the
  // table leaves unpriced (any `fal:`/`replicate:` id), or a negotiated rate.
  std::map<std::string, model::CallPrice> prices;

  // Keys from the process environment, REEL_<PROVIDER>_BASE_URL, REEL_PROVIDER_POLL_MS,
  // REEL_PROVIDER_TIMEOUT_S, and REEL_PROVIDER_PRICES (a prices file, below).
  static ProviderOptions from_env();
  // NAME=VALUE lines (# comments); the file must not be readable by group or others.
  // InvalidInput naming the file and what is wrong (never a value).
  void load_keys_file(const std::filesystem::path& path);
  // A JSON object: {"fal:fal-ai/flux/dev": {"per": "image", "usd": 0.025, "source":
  // "our invoice, 2026-12"}, ...}. `per` is output_second, image or megapixel; `source`
  // says where the figure comes from (shown in cost reports). InvalidInput naming the file,
  // the entry and what is allowed.
  void load_prices_file(const std::filesystem::path& path);
};

// One adapter, for `reel providers` and docs.
struct ProviderInfo {
  std::string name;                   // "fal"
  std::vector<std::string> key_vars;  // {"FAL_KEY"}
  std::string default_base_url;
  bool key_set = false;
  std::vector<std::string> models;  // ids in the price table
};
std::vector<ProviderInfo> provider_infos(const ProviderOptions& options);

// Registers the priced models of every adapter, and a resolver so any `fal:<model>` /
// `replicate:<owner>/<name>` id works (unpriced unless the table knows it).
void register_models(model::Registry& registry, const ProviderOptions& options);

}  // namespace reel::providers
