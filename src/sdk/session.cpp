#include "reel/sdk/session.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "reel/catalog/catalog.hpp"
#include "reel/core/error.hpp"
#include "sdk/policy_bridge.hpp"
#include "sdk/remote_runner.hpp"

namespace reel::sdk {
namespace {

void print_progress_line(const pipeline::Event& e) {
  using pipeline::EventKind;
  switch (e.kind) {
    case EventKind::step_started:
      std::fprintf(stderr, "reel: %s (%s) started\n", e.step.c_str(), e.model.c_str());
      break;
    case EventKind::step_progress:
      // Every 10%, so a log stays readable.
      if (static_cast<int>(e.fraction * 100) % 10 == 0 && e.fraction > 0 && e.fraction < 1)
        std::fprintf(stderr, "reel: %s %3.0f%% %s\n", e.step.c_str(), e.fraction * 100,
                     e.message.c_str());
      break;
    case EventKind::step_finished:
      std::fprintf(stderr, "reel: %s finished in %.2f s\n", e.step.c_str(), e.seconds);
      break;
    case EventKind::step_cached:
      std::fprintf(stderr, "reel: %s cached (no compute)\n", e.step.c_str());
      break;
    case EventKind::step_failed:
      std::fprintf(stderr, "reel: %s failed\n", e.step.c_str());
      break;
  }
}

}  // namespace

Session::Session(SessionOptions options) : options_(std::move(options)) {
  const std::string& tm = options_.training_mining;
  if (tm != "notAllowed" && tm != "allowed" && tm != "constrained")
    throw Error(ErrorKind::InvalidInput, "training-mining setting '" + tm +
                                             "' is not one of: notAllowed, allowed, constrained");
  catalog::register_builtin_models(registry_, options_.models);
  store_ = std::make_unique<pipeline::ArtifactStore>(
      options_.store_root.empty() ? pipeline::ArtifactStore::default_root() : options_.store_root);
  if (!options_.server.empty())
    remote_ = std::make_unique<RemoteRunner>(
        remote::ClientOptions{.server = options_.server, .api_key = options_.api_key}, *this);
}

Session::~Session() = default;

Session& Session::default_session() {
  static Session session([] {
    SessionOptions o;
    if (const char* p = std::getenv("REEL_POLICY"); p && *p) o.policy = p;
    if (const char* s = std::getenv("REEL_NO_SIGN"); s && std::string(s) == "1") o.sign = false;
    if (const char* t = std::getenv("REEL_TRAINING_MINING"); t && *t) o.training_mining = t;
    if (const char* sv = std::getenv("REEL_SERVER"); sv && *sv) o.server = sv;
    if (const char* k = std::getenv("REEL_API_KEY")) o.api_key = k;
    // Scripts on a terminal see long work advance (REEL_PROGRESS=0 silences it,
    // REEL_PROGRESS=1 forces it, e.g. in logs).
    const char* pv = std::getenv("REEL_PROGRESS");
    bool show = pv ? std::string(pv) == "1" : ::isatty(2) == 1;
    if (show) o.on_event = print_progress_line;
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
  return run(graph, CancelToken{});
}

pipeline::RunResult Session::run(const pipeline::Graph& graph, const CancelToken& cancel) {
  if (remote_) return remote_->run(graph, cancel);
  pipeline::Executor executor(registry_, *store_);
  pipeline::RunOptions o = run_options();
  o.cancel = cancel;
  return executor.run(graph, o);
}

pipeline::RunPlan Session::plan(const pipeline::Graph& graph) {
  if (remote_) return remote_->plan(graph);
  pipeline::Executor executor(registry_, *store_);
  return executor.plan(graph, run_options());
}

}  // namespace reel::sdk
