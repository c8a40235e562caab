#pragma once
// Remote mode of a Session (docs/remote.md): a graph runs on a reel server instead of
// the local executor. Local input stills are uploaded (or referenced when the server
// already holds them), the job is followed to its end, and its artifacts are brought
// into the local store under the server's hashes, so the SDK's results behave as
// after a local run and a later step can reference them on the server again.
#include <memory>

#include "reel/core/cancel.hpp"
#include "reel/pipeline/executor.hpp"
#include "reel/remote/client.hpp"

namespace reel::sdk {

class Session;

class RemoteRunner {
 public:
  RemoteRunner(remote::ClientOptions options, Session& session);
  pipeline::RunResult run(const pipeline::Graph& graph, const CancelToken& cancel = {});
  // The server's plan and price (its models, calibrations, prices and store decide what
  // is cached); input stills are uploaded as for a run.
  pipeline::RunPlan plan(const pipeline::Graph& graph);
  remote::ReelClient& client() { return client_; }

 private:
  std::string server_reference(const std::string& ref, const pipeline::Graph& graph);
  // The graph as the server takes it: every input a step id or a server artifact (local
  // stills uploaded), no base folder.
  pipeline::Graph for_server(const pipeline::Graph& graph);
  // {"pipeline", "policy"}: the job body for that graph under the session's policy.
  Json job_body(const pipeline::Graph& server_graph) const;
  pipeline::Artifact fetch(const remote::ArtifactRef& ref, const std::string& step,
                           const std::string& model);
  remote::ReelClient client_;
  Session& session_;
};

}  // namespace reel::sdk
