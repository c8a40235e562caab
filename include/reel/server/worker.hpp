#pragma once
// A queue worker: claims jobs from the JobStore under leases, runs each job's pipeline with
// the Executor into the shared ArtifactStore, heartbeats the lease, streams step events
// into the job's event log, settles the key's reservation with the measured cost, and
// completes or fails the job — every write fenced by the lease token. `reel serve` runs
// WorkerLoops in-process; `reel worker --store URL` runs one per process. See
// docs/server.md ("Workers").
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "reel/model/limits.hpp"
#include "reel/model/registry.hpp"
#include "reel/pipeline/ledger.hpp"
#include "reel/pipeline/store.hpp"
#include "reel/server/job_store.hpp"
#include "reel/server/key_store.hpp"

namespace reel::server {

// How one attempt of a job ended, as seen by the worker that ran it.
enum class AttemptEnd {
  succeeded,   // completed with a result; reservation settled
  failed,      // failed for good (not retryable, or attempts spent); reservation released
  retrying,    // failed with a retryable error and handed back to the queue
  canceled,    // cancel requested; marked canceled; completed steps charged
  lease_lost,  // another worker holds the job now: nothing more was written
  abandoned,   // the worker stopped before the job finished; handed back to the queue
};
std::string_view to_string(AttemptEnd end);

struct AttemptReport {
  std::string job_id;
  int attempt = 0;
  AttemptEnd end = AttemptEnd::failed;
  std::string error;   // empty on success
  double usd = 0;      // charged to the key (0 unless succeeded or canceled)
  double seconds = 0;  // wall time of the attempt
};

struct WorkerOptions {
  std::string worker_id;  // empty: "<host>-<pid>-<4 hex>"
  int concurrency = 1;    // jobs run at once by this loop
  std::int64_t lease_ms = 30'000;
  std::int64_t heartbeat_ms = 10'000;  // must be < lease_ms; lease_ms / 3 is the rule
  std::int64_t poll_ms = 200;          // idle wait between claims when the queue is empty
  // An idle loop runs release_reservations_of_ended_jobs at most this often (0: never).
  std::int64_t sweep_ms = 30'000;
  // Not owned; must outlive the loop. Both thread-safe (one per process is enough).
  JobStore* jobs = nullptr;
  KeyStore* keys = nullptr;                   // null: no settling (tests of the queue alone)
  const model::Registry* registry = nullptr;  // required
  // The artifact store to write into: an existing one (shared with `reel serve`'s
  // artifact routes), or else one opened on artifact_root (empty: the default root).
  pipeline::ArtifactStore* artifacts = nullptr;
  std::filesystem::path artifact_root;
  pipeline::PriceSheet prices = pipeline::PriceSheet::defaults();
  model::Limits limits = model::default_limits();
  int cpu_slots = 2;  // steps of one job that may run at once
  // Completion webhooks (spec "webhook": {"url": ...}) are signed with this secret
  // ("whsec_..."); empty: webhooks are not delivered (a warning is logged), never unsigned.
  std::string webhook_secret;
  bool webhook_allow_private = false;  // tests and trusted intranets only
  bool sign_outputs = true;            // sign succeeded jobs' artifacts (RunnerEnv)
  // Called after every attempt (from the loop's threads); for metrics and tests.
  std::function<void(const AttemptReport&)> on_attempt;
};

struct WorkerStats {
  std::int64_t claimed = 0, succeeded = 0, failed = 0, retrying = 0, canceled = 0, lease_lost = 0,
               abandoned = 0;
  int in_flight = 0;
};

class WorkerLoop {
 public:
  // Throws InvalidInput when jobs or registry is missing, concurrency < 1, or
  // heartbeat_ms is not below lease_ms.
  explicit WorkerLoop(WorkerOptions options);
  ~WorkerLoop();  // stop(0 ms grace) if still running
  WorkerLoop(const WorkerLoop&) = delete;
  WorkerLoop& operator=(const WorkerLoop&) = delete;

  // Starts `concurrency` threads that claim and run jobs. Once only.
  void start();
  // No claims after this call. In-flight jobs get `grace` to finish; after it they are
  // cancelled and handed back to the queue (retryable failure "worker stopped"), so
  // another worker runs them. Returns when every thread has ended. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(30'000));

  const std::string& worker_id() const;
  WorkerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Releases the reservations of jobs that ended without a worker to release them: the
// store ends a job inside claim() when its lease ran out on the last attempt, or when a
// cancel was requested and its worker is gone. A job counts as ended once it has been
// failed or canceled for `grace_ms` (so a live worker settles a canceled job's partial
// cost first); a reservation whose job does not exist (the server died between admit and
// enqueue) is released when older than `grace_ms`. Returns how many were released.
std::size_t release_reservations_of_ended_jobs(JobStore& jobs, KeyStore& keys, std::int64_t now_ms,
                                               std::int64_t grace_ms = 60'000,
                                               std::size_t limit = 500);

// Registers the diagnostic models (diag-noop, diag-sleep) when REEL_DIAGNOSTIC_MODELS=1;
// returns whether it did. Never registered otherwise.
bool register_diagnostic_models_from_env(model::Registry& registry);
// Unconditionally (tests).
void register_diagnostic_models(model::Registry& registry);

}  // namespace reel::server
