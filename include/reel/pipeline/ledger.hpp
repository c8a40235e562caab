#pragma once
// The cost ledger: measured seconds per step, priced by a price sheet, with cache
// hits recorded at $0 and the money they saved. Every rendered video gets a
// <name>.cost.json written from a CostReport.
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/core/units.hpp"

namespace reel::pipeline {

// Prices per device-hour. Defaults and their sources are in docs/cost.md.
struct PriceSheet {
  double cpu_core_hour_usd = 0.0446;           // one vCPU of an on-demand cloud VM
  std::map<std::string, double> gpu_hour_usd;  // "h100" → 1.95, ...
  std::string default_gpu = "h100";
  std::string source;  // where the figures came from

  static PriceSheet defaults();
  // JSON: {"cpu_core_hour_usd": x, "gpu_hour_usd": {"h100": y}, "default_gpu": "h100"}.
  // Unknown keys or negative prices → InvalidInput.
  static PriceSheet load(const std::filesystem::path& path);
  static PriceSheet from_json(const Json& j);
  Json to_json() const;

  // Price of running on `device` ("cpu" or "cuda[:N]" / a GPU kind) for `seconds`
  // of wall time; CPU work is priced for `cores` cores (the whole machine is held).
  Usd price(const std::string& device, Seconds seconds, int cores) const;
};

// The seed article's estimate: about $1.30 of GPU time per 10-second clip.
inline constexpr double kSoraUsdPer10s = 1.30;

struct StepCost {
  std::string step;
  std::string model;
  std::string device;
  Seconds seconds;         // measured wall time (0 when cached)
  Seconds device_seconds;  // seconds x devices held (core-seconds on CPU)
  Usd usd;
  bool cached = false;
  Usd saved_usd;  // for cache hits: what the first run cost
  std::string key;
  // Paid calls (hosted providers): `usd` is the provider's bill when it states one,
  // else the card's price rule; the machine's waiting time is not charged.
  bool paid = false;
  bool unpriced = false;              // a paid call whose price reel does not know
  std::optional<Usd> price_rule_usd;  // the price rule applied to this call
  std::optional<Usd> billed_usd;      // what the provider said it charged
  // What the step said about its output ("step 'x': ..."), as the run printed them; kept
  // with the artifact, so a cache hit reports the same words.
  std::vector<std::string> notes;
};

class CostLedger {
 public:
  explicit CostLedger(PriceSheet prices, int cpu_cores);
  void record_run(const std::string& step, const std::string& model, const std::string& device,
                  Seconds seconds, const std::string& key);
  // A call paid to a provider: priced by its bill, else its price rule, else unpriced ($0,
  // said so in the report).
  void record_paid(const std::string& step, const std::string& model, Seconds seconds,
                   std::optional<Usd> price_rule, std::optional<Usd> billed,
                   const std::string& key);
  void record_cached(const std::string& step, const std::string& model, const std::string& device,
                     Usd saved, Seconds saved_seconds, const std::string& key);
  std::vector<StepCost> steps() const;
  const PriceSheet& prices() const { return prices_; }
  int cpu_cores() const { return cpu_cores_; }

 private:
  PriceSheet prices_;
  int cpu_cores_;
  mutable std::mutex mutex_;
  std::vector<StepCost> steps_;
};

struct CostReport {
  std::vector<StepCost> steps;
  Seconds wall_seconds;      // the whole run, start to finish
  double video_seconds = 0;  // length of the output clip (0 for stills)
  PriceSheet prices;
  int cpu_cores = 1;

  Usd total_usd() const;
  Usd saved_usd() const;
  Seconds compute_seconds() const;
  std::vector<std::string> notes() const;  // every step's, in step order
  Json to_json() const;
  std::string to_text() const;                          // a table for terminals
  void write(const std::filesystem::path& path) const;  // atomic
  static CostReport from_json(const Json& j);
};

}  // namespace reel::pipeline
