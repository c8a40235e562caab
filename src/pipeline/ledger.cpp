#include "reel/pipeline/ledger.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"

namespace reel::pipeline {

PriceSheet PriceSheet::defaults() {
  PriceSheet p;
  p.cpu_core_hour_usd = 0.0446;
  // $1.30 per 40 H100-minutes, the seed article's figure, is $1.95 per H100-hour.
  p.gpu_hour_usd = {{"h100", 1.95}, {"h200", 2.50}};
  p.default_gpu = "h100";
  p.source =
      "cpu: one vCPU-hour of an on-demand x86 cloud VM (2-vCPU instance at about $0.089/h); "
      "h100: $1.95/h, implied by the seed article's $1.30 per 40 H100-minutes; "
      "h200: $2.50/h, an assumed premium over h100. Override with --prices FILE.";
  return p;
}

PriceSheet PriceSheet::from_json(const Json& j) {
  if (!j.is_object()) throw Error(ErrorKind::InvalidInput, "a price sheet must be a JSON object");
  static const std::set<std::string> kKeys = {"cpu_core_hour_usd", "gpu_hour_usd", "default_gpu",
                                              "source"};
  PriceSheet p = defaults();
  for (auto& [k, v] : j.items())
    if (!kKeys.count(k))
      throw Error(ErrorKind::InvalidInput,
                  "unknown price sheet key '" + k +
                      "'; allowed: cpu_core_hour_usd, gpu_hour_usd, default_gpu, source");
  auto price = [](const Json& v, const std::string& what) {
    if (!v.is_number() || v.get<double>() < 0)
      throw Error(ErrorKind::InvalidInput, what + " must be a non-negative number of USD per hour");
    return v.get<double>();
  };
  if (j.contains("cpu_core_hour_usd"))
    p.cpu_core_hour_usd = price(j["cpu_core_hour_usd"], "cpu_core_hour_usd");
  if (j.contains("gpu_hour_usd")) {
    if (!j["gpu_hour_usd"].is_object())
      throw Error(ErrorKind::InvalidInput, "gpu_hour_usd must map GPU kinds to USD per hour");
    for (auto& [k, v] : j["gpu_hour_usd"].items())
      p.gpu_hour_usd[k] = price(v, "gpu_hour_usd." + k);
  }
  if (j.contains("default_gpu")) p.default_gpu = j["default_gpu"].get<std::string>();
  p.source = j.value("source", std::string("user price sheet"));
  if (!p.gpu_hour_usd.count(p.default_gpu))
    throw Error(ErrorKind::InvalidInput, "default_gpu '" + p.default_gpu + "' has no price");
  return p;
}

PriceSheet PriceSheet::load(const std::filesystem::path& path) {
  try {
    return from_json(parse_json(read_file(path, 1 << 20), path.string()));
  } catch (Error& e) {
    e.add_context("reading price sheet " + path.string());
    throw;
  }
}

Json PriceSheet::to_json() const {
  return Json{{"cpu_core_hour_usd", cpu_core_hour_usd},
              {"gpu_hour_usd", gpu_hour_usd},
              {"default_gpu", default_gpu},
              {"source", source}};
}

Usd PriceSheet::price(const std::string& device, Seconds seconds, int cores) const {
  if (device == "cpu") return Usd(cpu_core_hour_usd * cores * seconds.value / 3600.0);
  // Waiting on a hosted provider holds no machine: its call is priced by its own rule.
  if (device == "provider") return Usd(0);
  std::string kind = device.rfind("cuda", 0) == 0 ? default_gpu : device;
  auto it = gpu_hour_usd.find(kind);
  double per_hour = it != gpu_hour_usd.end() ? it->second : gpu_hour_usd.at(default_gpu);
  return Usd(per_hour * seconds.value / 3600.0);
}

CostLedger::CostLedger(PriceSheet prices, int cpu_cores)
    : prices_(std::move(prices)), cpu_cores_(cpu_cores) {}

void CostLedger::record_run(const std::string& step, const std::string& model,
                            const std::string& device, Seconds seconds, const std::string& key) {
  StepCost c;
  c.step = step;
  c.model = model;
  c.device = device;
  c.seconds = seconds;
  c.device_seconds = device == "cpu" ? seconds * cpu_cores_ : seconds;
  c.usd = prices_.price(device, seconds, cpu_cores_);
  c.key = key;
  std::lock_guard lock(mutex_);
  steps_.push_back(std::move(c));
}

void CostLedger::record_paid(const std::string& step, const std::string& model, Seconds seconds,
                             std::optional<Usd> price_rule, std::optional<Usd> billed,
                             const std::string& key) {
  StepCost c;
  c.step = step;
  c.model = model;
  c.device = "provider";
  c.seconds = seconds;
  c.paid = true;
  c.price_rule_usd = price_rule;
  c.billed_usd = billed;
  c.unpriced = !price_rule && !billed;
  c.usd = billed ? *billed : price_rule.value_or(Usd(0));
  c.key = key;
  std::lock_guard lock(mutex_);
  steps_.push_back(std::move(c));
}

void CostLedger::record_cached(const std::string& step, const std::string& model,
                               const std::string& device, Usd saved, Seconds saved_seconds,
                               const std::string& key) {
  StepCost c;
  c.step = step;
  c.model = model;
  c.device = device;
  c.cached = true;
  c.saved_usd = saved;
  c.key = key;
  (void)saved_seconds;
  std::lock_guard lock(mutex_);
  steps_.push_back(std::move(c));
}

std::vector<StepCost> CostLedger::steps() const {
  std::lock_guard lock(mutex_);
  return steps_;
}

Usd CostReport::total_usd() const {
  Usd t;
  for (auto& s : steps) t += s.usd;
  return t;
}

Usd CostReport::saved_usd() const {
  Usd t;
  for (auto& s : steps) t += s.saved_usd;
  return t;
}

Seconds CostReport::compute_seconds() const {
  Seconds t;
  for (auto& s : steps)
    if (!s.paid) t += s.seconds;  // a paid call's seconds are spent waiting on the provider
  return t;
}

std::vector<std::string> CostReport::notes() const {
  std::vector<std::string> all;
  for (const auto& s : steps) all.insert(all.end(), s.notes.begin(), s.notes.end());
  return all;
}

Json CostReport::to_json() const {
  Json j;
  j["steps"] = Json::array();
  for (auto& s : steps) {
    Json step = {{"step", s.step},
                 {"model", s.model},
                 {"device", s.device},
                 {"seconds", s.seconds.value},
                 {"device_seconds", s.device_seconds.value},
                 {"usd", s.usd.value},
                 {"cached", s.cached},
                 {"saved_usd", s.saved_usd.value},
                 {"key", s.key}};
    if (s.paid) {
      step["paid"] = true;
      step["unpriced"] = s.unpriced;
      step["price_rule_usd"] = s.price_rule_usd ? Json(s.price_rule_usd->value) : Json(nullptr);
      step["billed_usd"] = s.billed_usd ? Json(s.billed_usd->value) : Json(nullptr);
    }
    if (!s.notes.empty()) step["notes"] = s.notes;
    j["steps"].push_back(std::move(step));
  }
  double total = total_usd().value;
  j["totals"] = {
      {"usd", total},
      {"saved_usd", saved_usd().value},
      {"compute_seconds", compute_seconds().value},
      {"wall_seconds", wall_seconds.value},
      {"steps_run", std::count_if(steps.begin(), steps.end(), [](auto& s) { return !s.cached; })},
      {"steps_cached",
       std::count_if(steps.begin(), steps.end(), [](auto& s) { return s.cached; })}};
  if (video_seconds > 0) {
    j["video_seconds"] = video_seconds;
    j["usd_per_video_second"] = total / video_seconds;
    j["usd_per_10s_clip"] = total / video_seconds * 10.0;
    // What the seed article's figure would charge for a clip of this length.
    j["comparison"] = {{"what", "seed article estimate for the best-known consumer video model"},
                       {"usd_per_10s_clip", kSoraUsdPer10s},
                       {"usd_for_this_length", kSoraUsdPer10s * video_seconds / 10.0}};
  }
  j["prices"] = prices.to_json();
  j["cpu_cores"] = cpu_cores;
  return j;
}

CostReport CostReport::from_json(const Json& j) {
  CostReport r;
  for (auto& s : j.at("steps")) {
    StepCost c;
    c.step = s.at("step");
    c.model = s.at("model");
    c.device = s.at("device");
    c.seconds = Seconds(s.at("seconds").get<double>());
    c.device_seconds = Seconds(s.value("device_seconds", 0.0));
    c.usd = Usd(s.at("usd").get<double>());
    c.cached = s.at("cached");
    c.saved_usd = Usd(s.value("saved_usd", 0.0));
    c.key = s.value("key", "");
    c.paid = s.value("paid", false);
    c.unpriced = s.value("unpriced", false);
    if (s.contains("price_rule_usd") && s["price_rule_usd"].is_number())
      c.price_rule_usd = Usd(s["price_rule_usd"].get<double>());
    if (s.contains("billed_usd") && s["billed_usd"].is_number())
      c.billed_usd = Usd(s["billed_usd"].get<double>());
    if (s.contains("notes") && s["notes"].is_array())
      for (const Json& n : s["notes"])
        if (n.is_string()) c.notes.push_back(n.get<std::string>());
    r.steps.push_back(c);
  }
  r.wall_seconds = Seconds(j.at("totals").value("wall_seconds", 0.0));
  r.video_seconds = j.value("video_seconds", 0.0);
  if (j.contains("prices")) r.prices = PriceSheet::from_json(j["prices"]);
  r.cpu_cores = j.value("cpu_cores", 1);
  return r;
}

std::string CostReport::to_text() const {
  std::ostringstream o;
  char line[256];
  std::snprintf(line, sizeof line, "%-14s %-20s %-6s %10s %12s  %s\n", "step", "model", "device",
                "seconds", "cost", "");
  o << line;
  for (auto& s : steps) {
    std::string note = s.cached       ? "cached, saved " + format_usd(s.saved_usd)
                       : s.unpriced   ? "UNPRICED: the provider's price is not in the price sheet"
                       : s.billed_usd ? "billed by the provider"
                       : s.paid       ? "provider price rule"
                                      : "";
    std::snprintf(line, sizeof line, "%-14s %-20s %-6s %10.3f %12s  %s\n", s.step.c_str(),
                  s.model.c_str(), s.device.c_str(), s.seconds.value, format_usd(s.usd).c_str(),
                  note.c_str());
    o << line;
  }
  o << "total " << format_usd(total_usd()) << " for " << format_seconds(compute_seconds())
    << " of compute (" << cpu_cores << " CPU cores held); wall " << format_seconds(wall_seconds);
  if (saved_usd().value > 0) o << "; cache saved " << format_usd(saved_usd());
  o << "\n";
  if (video_seconds > 0) {
    double per10 = total_usd().value / video_seconds * 10.0;
    o << "per 10-second clip: " << format_usd(Usd(per10))
      << " (seed article's estimate: " << format_usd(Usd(kSoraUsdPer10s)) << ")\n";
  }
  return o.str();
}

void CostReport::write(const std::filesystem::path& path) const {
  write_file_atomic(path, to_json().dump(2) + "\n");
}

}  // namespace reel::pipeline
