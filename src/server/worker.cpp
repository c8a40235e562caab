// WorkerLoop: `concurrency` threads, each claiming one job at a time and running it with
// run_job_attempt (job_runner.hpp).
#include "reel/server/worker.hpp"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "job_runner.hpp"
#include "reel/core/log.hpp"

namespace reel::server {
namespace {

std::string default_worker_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == 0)
    std::snprintf(host, sizeof host, "host");
  std::random_device rd;
  char tail[8];
  std::snprintf(tail, sizeof tail, "%04x", static_cast<unsigned>(rd() & 0xffff));
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + tail;
}

}  // namespace

std::string_view to_string(AttemptEnd end) {
  switch (end) {
    case AttemptEnd::succeeded:
      return "succeeded";
    case AttemptEnd::failed:
      return "failed";
    case AttemptEnd::retrying:
      return "retrying";
    case AttemptEnd::canceled:
      return "canceled";
    case AttemptEnd::lease_lost:
      return "lease_lost";
    case AttemptEnd::abandoned:
      return "abandoned";
  }
  return "unknown";
}

struct WorkerLoop::Impl {
  WorkerOptions options;
  std::unique_ptr<pipeline::ArtifactStore> own_artifacts;
  RunnerEnv env;
  std::vector<std::thread> threads;
  // Held shared around every claim and exclusively to stop: once stop() has set
  // `stopping`, no claim is under way and none starts.
  std::shared_mutex claim_gate;
  bool stopping = false;
  bool started = false;
  CancelToken abandon;
  mutable std::mutex m;
  std::condition_variable cv;  // wakes idle slots on stop, and stop() when jobs end
  WorkerStats stats;
  std::atomic<std::int64_t> last_sweep_ms{0};

  // Slots release reservations that no worker will (see worker.hpp); one slot at a
  // time, at most every sweep_ms, and a failure only logs: the next sweep tries again.
  void maybe_sweep() {
    if (options.keys == nullptr || options.sweep_ms <= 0) return;
    std::int64_t now = wall_ms();
    std::int64_t last = last_sweep_ms.load();
    if (now - last < options.sweep_ms || !last_sweep_ms.compare_exchange_strong(last, now)) return;
    try {
      auto n = release_reservations_of_ended_jobs(
          *options.jobs, *options.keys, now, std::max<std::int64_t>(60'000, 2 * options.lease_ms));
      if (n > 0)
        log_info("worker " + env.worker_id + ": released " + std::to_string(n) +
                 " reservation(s) of jobs that ended without a worker");
    } catch (const std::exception& e) {
      log_warn("worker " + env.worker_id + ": reservation sweep failed: " + e.what());
    }
  }

  void slot() {
    std::int64_t idle_ms = options.poll_ms;
    for (;;) {
      maybe_sweep();
      std::optional<std::pair<Job, Lease>> claimed;
      {
        std::shared_lock gate(claim_gate);
        if (stopping) return;
        try {
          claimed = options.jobs->claim(env.worker_id, options.lease_ms, wall_ms());
          idle_ms = options.poll_ms;
        } catch (const std::exception& e) {
          // The database is unreachable or busy: back off (up to 5 s) rather than spin.
          log_warn("worker " + env.worker_id + ": claim failed: " + e.what());
          idle_ms = std::min<std::int64_t>(std::max<std::int64_t>(idle_ms * 2, 100), 5000);
        }
        if (claimed) {
          std::lock_guard lock(m);
          stats.claimed++;
          stats.in_flight++;
        }
      }
      if (!claimed) {
        std::unique_lock lock(m);
        cv.wait_for(lock, std::chrono::milliseconds(idle_ms), [&] { return stopping; });
        continue;
      }
      AttemptReport r;
      try {
        r = run_job_attempt(env, claimed->first, claimed->second, abandon);
      } catch (const std::exception& e) {
        // Not expected (the runner reports job failures as values); the lease runs out
        // and another worker takes the job.
        log_error("worker " + env.worker_id + ": job " + claimed->first.id + ": " + e.what());
        r.job_id = claimed->first.id;
        r.attempt = claimed->second.attempt;
        r.end = AttemptEnd::lease_lost;
        r.error = e.what();
      }
      {
        std::lock_guard lock(m);
        stats.in_flight--;
        switch (r.end) {
          case AttemptEnd::succeeded:
            stats.succeeded++;
            break;
          case AttemptEnd::failed:
            stats.failed++;
            break;
          case AttemptEnd::retrying:
            stats.retrying++;
            break;
          case AttemptEnd::canceled:
            stats.canceled++;
            break;
          case AttemptEnd::lease_lost:
            stats.lease_lost++;
            break;
          case AttemptEnd::abandoned:
            stats.abandoned++;
            break;
        }
      }
      cv.notify_all();
      if (options.on_attempt) {
        try {
          options.on_attempt(r);
        } catch (const std::exception& e) {
          log_warn(std::string("worker on_attempt callback threw: ") + e.what());
        }
      }
    }
  }
};

WorkerLoop::WorkerLoop(WorkerOptions options) : impl_(std::make_unique<Impl>()) {
  auto& o = options;
  if (!o.jobs) throw Error(ErrorKind::InvalidInput, "worker: a job store is required");
  if (!o.registry) throw Error(ErrorKind::InvalidInput, "worker: a model registry is required");
  if (o.concurrency < 1 || o.concurrency > 256)
    throw Error(ErrorKind::InvalidInput,
                "worker: concurrency " + std::to_string(o.concurrency) + " is out of range 1..256");
  if (o.lease_ms < 100 || o.heartbeat_ms < 10 || o.heartbeat_ms >= o.lease_ms)
    throw Error(ErrorKind::InvalidInput,
                "worker: heartbeat " + std::to_string(o.heartbeat_ms) + " ms and lease " +
                    std::to_string(o.lease_ms) +
                    " ms: the lease must be at least 100 ms and the heartbeat 10 ms or more "
                    "and shorter than the lease (a third of it is the rule)");
  if (o.poll_ms < 1 || o.poll_ms > 60'000)
    throw Error(ErrorKind::InvalidInput, "worker: poll_ms must be 1..60000");
  if (o.worker_id.empty()) o.worker_id = default_worker_id();
  auto& i = *impl_;
  if (!o.artifacts) {
    i.own_artifacts = std::make_unique<pipeline::ArtifactStore>(
        o.artifact_root.empty() ? pipeline::ArtifactStore::default_root() : o.artifact_root);
    o.artifacts = i.own_artifacts.get();
  }
  i.env.jobs = o.jobs;
  i.env.keys = o.keys;
  i.env.registry = o.registry;
  i.env.artifacts = o.artifacts;
  i.env.prices = o.prices;
  i.env.limits = o.limits;
  i.env.cpu_slots = o.cpu_slots;
  i.env.lease_ms = o.lease_ms;
  i.env.heartbeat_ms = o.heartbeat_ms;
  i.env.worker_id = o.worker_id;
  i.env.webhook_secret = o.webhook_secret;
  i.env.webhook_allow_private = o.webhook_allow_private;
  i.env.sign_outputs = o.sign_outputs;
  i.options = std::move(options);
  i.options.worker_id = i.env.worker_id;
}

WorkerLoop::~WorkerLoop() {
  stop(std::chrono::milliseconds(0));
}

void WorkerLoop::start() {
  auto& i = *impl_;
  std::unique_lock gate(i.claim_gate);
  if (i.started) throw Error(ErrorKind::InvalidInput, "worker: start() called twice");
  if (i.stopping) throw Error(ErrorKind::InvalidInput, "worker: start() after stop()");
  i.started = true;
  for (int n = 0; n < i.options.concurrency; ++n) i.threads.emplace_back([&i] { i.slot(); });
}

void WorkerLoop::stop(std::chrono::milliseconds grace) {
  auto& i = *impl_;
  {
    std::unique_lock gate(i.claim_gate);
    std::lock_guard lock(i.m);
    i.stopping = true;
  }
  i.cv.notify_all();
  {
    std::unique_lock lock(i.m);
    i.cv.wait_for(lock, grace, [&] { return i.stats.in_flight == 0; });
  }
  i.abandon.cancel();
  for (auto& t : i.threads)
    if (t.joinable()) t.join();
  i.threads.clear();
}

const std::string& WorkerLoop::worker_id() const {
  return impl_->env.worker_id;
}

WorkerStats WorkerLoop::stats() const {
  std::lock_guard lock(impl_->m);
  return impl_->stats;
}

}  // namespace reel::server
