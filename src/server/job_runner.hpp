#pragma once
// One attempt of one job, from claim to its end: the job's spec is parsed and validated
// into a pipeline graph, run by the Executor into the shared ArtifactStore while a
// supervisor heartbeats the lease, relays step events into the job's event log and watches
// for a cancel and for the job's spend reaching its cap (budget_watch.hpp: failed as
// budget-exhausted); a job whose key was revoked since it was queued is canceled before
// it starts. Then the job is completed (and its key's reservation settled), failed
// (retryable or not; reservation released when it will not run again) or canceled. Every
// job write is fenced by the lease: once one returns false, the attempt writes nothing
// more. Used by WorkerLoop; kept apart so it can be tested one attempt at a time.
#include <cstdint>
#include <functional>
#include <string>

#include "reel/core/cancel.hpp"
#include "reel/core/error.hpp"
#include "reel/pipeline/executor.hpp"
#include "reel/pipeline/graph.hpp"
#include "reel/server/worker.hpp"

namespace reel::server {

// The job spec of docs/api.md → a graph: {"pipeline": {...file schema...}} or the one-step
// shortcut {"task", "model", "params", "inputs", "seed"}. Inputs may name steps or
// "artifact:<hash>"; "file:" references are refused. Throws InvalidInput.
pipeline::Graph graph_from_job_spec(const Json& spec);

// Whether an attempt that failed with this kind may succeed when run again: transient
// faults (Io, OutOfMemory, ModelLoad, Internal) are; the request's own faults
// (InvalidInput, NotFound, Policy, Budget, Unsupported) are not.
bool is_retryable(ErrorKind kind);

struct RunnerEnv {
  JobStore* jobs = nullptr;
  KeyStore* keys = nullptr;  // null: no settling
  const model::Registry* registry = nullptr;
  pipeline::ArtifactStore* artifacts = nullptr;
  pipeline::PriceSheet prices = pipeline::PriceSheet::defaults();
  model::Limits limits = model::default_limits();
  int cpu_slots = 2;
  std::int64_t lease_ms = 30'000;
  std::int64_t heartbeat_ms = 10'000;
  std::string worker_id;
  std::string webhook_secret;
  bool webhook_allow_private = false;
  // Succeeded jobs' artifacts are signed for download (output_signing.hpp); off only in
  // tests of the queue that have no keys to sign with.
  bool sign_outputs = true;
};

// Milliseconds since the Unix epoch (system clock): the time every worker passes to the
// store, so leases written by one machine are read against the same scale by another.
std::int64_t wall_ms();

// Runs the claimed attempt to its end and reports how it ended. `abandon` is the
// worker's stop token: when it is cancelled the run is cancelled and the job handed back
// to the queue. Never throws for a job's own failure.
AttemptReport run_job_attempt(const RunnerEnv& env, const Job& job, const Lease& lease,
                              const CancelToken& abandon);

// The result document of a succeeded job (docs/api.md).
Json job_result_json(const pipeline::Graph& graph, const pipeline::RunResult& run);

// Sends the job's completion webhook in the background when its spec asks for one and a
// secret is configured (worker_webhook.cpp). Never throws; never blocks the caller.
void send_job_webhook(const RunnerEnv& env, const Job& job, JobStatus status, const Json& data);

}  // namespace reel::server
