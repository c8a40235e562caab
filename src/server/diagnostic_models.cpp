// Diagnostic models for tests and benchmarks of the queue and the workers: they cost
// (almost) nothing to run, so timing-sensitive behaviour (leases, cancellation, retries,
// throughput) can be tested cheaply. Registered only when REEL_DIAGNOSTIC_MODELS=1.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/server/worker.hpp"

namespace reel::server {
namespace {

model::ModelCard diag_card(const std::string& id, const std::string& what) {
  model::ModelCard c;
  c.id = id;
  c.version = "1";
  c.name = "Diagnostic: " + what;
  c.publisher = "reel";
  c.tasks = {model::Task::text_to_image};
  c.licence = "Apache-2.0";
  c.training_data = model::TrainingData::synthetic;
  c.training_data_note = "no training: a constant image";
  c.devices = {"cpu"};
  c.cost = {"cpu", 0.001, 0.0, "diagnostic: no real work"};
  c.description = what + " (tests and benchmarks only; REEL_DIAGNOSTIC_MODELS=1)";
  return c;
}

// A 16x16 opaque grey still whose shade follows the seed, so different jobs store
// different artifacts.
model::ImageResult tiny_image(std::uint64_t seed) {
  model::ImageResult r;
  r.image = media::Image(16, 16);
  auto shade = static_cast<std::uint8_t>(seed % 251);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      std::uint8_t* p = r.image.u8_pixel(x, y);
      p[0] = p[1] = p[2] = shade;
      p[3] = 255;
    }
  return r;
}

ErrorKind kind_named(const std::string& name) {
  for (auto k : {ErrorKind::InvalidInput, ErrorKind::Io, ErrorKind::NotFound, ErrorKind::ModelLoad,
                 ErrorKind::OutOfMemory, ErrorKind::Budget, ErrorKind::Unsupported,
                 ErrorKind::Policy, ErrorKind::Internal})
    if (to_string(k) == name) return k;
  throw Error(ErrorKind::InvalidInput,
              "diag-sleep: unknown error kind '" + name +
                  "'; allowed: InvalidInput, Io, NotFound, ModelLoad, OutOfMemory, Budget, "
                  "Unsupported, Policy, Internal");
}

class NoopModel final : public model::TextToImage {
 public:
  const model::ModelCard& card() const override { return card_; }
  model::ImageResult generate(const model::TextToImageRequest& req,
                              model::RunContext& ctx) override {
    ctx.check_cancelled();
    return tiny_image(req.seed);
  }

 private:
  model::ModelCard card_ = diag_card("diag-noop", "returns a tiny still at once");
};

// params.extra: {"ms": sleep in milliseconds (0..600000), "fail": "<ErrorKind>" (always
// fails with it after the sleep), "fail_once": "<ErrorKind>" (fails the first time this
// process runs this prompt+seed, then succeeds), "estimate_ms": what the planner is told
// instead of ms (a model slower than its estimate, for the budget-cap tests)}. Sleeps in
// 10 ms slices, reporting progress and honouring cancellation.
class SleepModel final : public model::TextToImage {
 public:
  const model::ModelCard& card() const override { return card_; }
  // Honest by default (it knows how long it will sleep), so a job of a key with a budget
  // is not stopped at its spend cap unless a test asks for that with estimate_ms.
  double estimate_seconds(const model::PlannedCall& call) const override {
    double ms = 0;
    for (const char* k : {"estimate_ms", "ms"})
      if (call.params.contains(k) && call.params[k].is_number()) {
        ms = std::clamp(call.params[k].get<double>(), 0.0, 600'000.0);
        break;
      }
    return card_.cost.setup_seconds + ms / 1000.0;
  }
  model::ImageResult generate(const model::TextToImageRequest& req,
                              model::RunContext& ctx) override {
    const Json& x = req.params;
    long long ms = 0;
    if (x.contains("ms")) {
      if (!x["ms"].is_number_integer() || x["ms"].get<long long>() < 0 ||
          x["ms"].get<long long>() > 600'000)
        throw Error(ErrorKind::InvalidInput,
                    "diag-sleep: extra.ms must be an integer 0..600000 (milliseconds)");
      ms = x["ms"].get<long long>();
    }
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::milliseconds(ms);
    int reported = 0;  // in percent
    for (;;) {
      ctx.check_cancelled();
      auto now = std::chrono::steady_clock::now();
      if (now >= end) break;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(end - now, std::chrono::milliseconds(10)));
      int percent = static_cast<int>(
          100 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
          (double(ms) / 1000.0));
      if (percent > reported && percent < 100) {
        reported = percent;
        ctx.progress(percent / 100.0);
      }
    }
    if (x.contains("fail") && x["fail"].is_string()) {
      throw Error(kind_named(x["fail"].get<std::string>()), "diag-sleep: failure asked for");
    }
    if (x.contains("fail_once") && x["fail_once"].is_string()) {
      ErrorKind kind = kind_named(x["fail_once"].get<std::string>());
      std::string key = req.prompt + "#" + std::to_string(req.seed);
      std::lock_guard lock(mutex_);
      if (failed_.insert(key).second) throw Error(kind, "diag-sleep: first-run failure asked for");
    }
    return tiny_image(req.seed);
  }

 private:
  model::ModelCard card_ =
      diag_card("diag-sleep", "sleeps params.extra.ms, honouring cancellation");
  std::mutex mutex_;
  std::set<std::string> failed_;
};

}  // namespace

void register_diagnostic_models(model::Registry& registry) {
  registry.add(std::make_shared<NoopModel>());
  registry.add(std::make_shared<SleepModel>());
}

bool register_diagnostic_models_from_env(model::Registry& registry) {
  const char* v = std::getenv("REEL_DIAGNOSTIC_MODELS");
  if (!v || std::string(v) != "1") return false;
  register_diagnostic_models(registry);
  return true;
}

}  // namespace reel::server
