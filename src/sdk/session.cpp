#include "reel/sdk/session.hpp"

#include <cstdlib>

#include "reel/core/error.hpp"
#include "reel/studio/studio.hpp"
#include "sdk/policy_bridge.hpp"

namespace reel::sdk {

Session::Session(SessionOptions options) : options_(std::move(options)) {
  studio::register_models(registry_);
  store_ = std::make_unique<pipeline::ArtifactStore>(
      options_.store_root.empty() ? pipeline::ArtifactStore::default_root() : options_.store_root);
}

Session::~Session() = default;

Session& Session::default_session() {
  static Session session([] {
    SessionOptions o;
    if (const char* p = std::getenv("REEL_POLICY"); p && *p) o.policy = p;
    if (const char* s = std::getenv("REEL_NO_SIGN"); s && std::string(s) == "1") o.sign = false;
    return o;
  }());
  return session;
}

pipeline::RunOptions Session::run_options() const {
  pipeline::RunOptions o;
  o.on_event = options_.on_event;
  o.cpu_slots = options_.cpu_slots;
  o.use_cache = options_.use_cache;
  o.prices = options_.prices;
  o.video_encode = options_.encode;
  o.policy = make_policy_check(options_.policy);
  return o;
}

pipeline::RunResult Session::run(const pipeline::Graph& graph) {
  pipeline::Executor executor(registry_, *store_);
  return executor.run(graph, run_options());
}

pipeline::RunPlan Session::plan(const pipeline::Graph& graph) {
  pipeline::Executor executor(registry_, *store_);
  return executor.plan(graph, run_options());
}

}  // namespace reel::sdk
