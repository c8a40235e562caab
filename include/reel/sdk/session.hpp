#pragma once
// A Session holds what every call shares: the model registry (every family in
// catalog::families()), the artifact store, prices, the licence policy and signing. The
// seed-shaped APIs (character_api, environment_api, animator_api) use the default
// session unless given one.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "reel/catalog/catalog.hpp"
#include "reel/model/registry.hpp"
#include "reel/pipeline/executor.hpp"

namespace reel::sdk {

struct SessionOptions {
  std::filesystem::path store_root;  // empty = ArtifactStore::default_root()
  pipeline::PriceSheet prices = pipeline::PriceSheet::defaults();
  bool use_cache = true;
  int cpu_slots = 2;
  std::string policy;              // "", "commercial-safe", "permissive" or a policy JSON file
  bool sign = true;                // C2PA-sign saved outputs
  std::filesystem::path sign_key;  // empty = $REEL_HOME/keys (created on first use)
  std::filesystem::path sign_cert;
  // cawg.training-mining in every signed output: "notAllowed" (default),
  // "allowed" or "constrained" — whether others may use the output to train models.
  std::string training_mining = "notAllowed";
  media::Mp4Options encode{18, "veryfast", true, 0};
  std::function<void(const pipeline::Event&)> on_event;  // progress
  // Remote mode (docs/remote.md): when set, runs go to this reel server
  // ("http://host:port") with this API key; results come back into the local store.
  std::string server;
  std::string api_key;
  // What the model families need of this machine (catalog::BackendOptions): where the
  // Wan models find their checkpoints and reel-neural (docs/models.md), from
  // REEL_MODELS, REEL_WAN_DEVICE, REEL_WAN_DTYPE and REEL_NEURAL_BIN by default.
  catalog::BackendOptions models;
};

class RemoteRunner;

class Session {
 public:
  explicit Session(SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The process-wide session used when none is passed. Options come from the
  // environment: REEL_HOME (store), REEL_POLICY, REEL_NO_SIGN=1, REEL_SERVER and
  // REEL_API_KEY (remote mode).
  static Session& default_session();

  model::Registry& registry() { return registry_; }
  pipeline::ArtifactStore& store() { return *store_; }
  SessionOptions& options() { return options_; }
  const SessionOptions& options() const { return options_; }

  pipeline::RunOptions run_options() const;
  pipeline::RunResult run(const pipeline::Graph& graph);
  // A cancelled token stops the run (in remote mode: the server's job is canceled too).
  pipeline::RunResult run(const pipeline::Graph& graph, const CancelToken& cancel);
  // The plan and estimate without running (in remote mode: the server's, POST /v1/estimates).
  pipeline::RunPlan plan(const pipeline::Graph& graph);
  bool remote() const { return remote_ != nullptr; }

 private:
  SessionOptions options_;
  model::Registry registry_;
  std::unique_ptr<pipeline::ArtifactStore> store_;
  std::unique_ptr<RemoteRunner> remote_;
};

}  // namespace reel::sdk
