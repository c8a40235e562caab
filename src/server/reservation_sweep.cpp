// Budget reservations of jobs that the queue ended by itself (docs/server.md, "Budgets").
#include "reel/server/job_store.hpp"
#include "reel/server/key_store.hpp"
#include "reel/server/worker.hpp"

namespace reel::server {

std::size_t release_reservations_of_ended_jobs(JobStore& jobs, KeyStore& keys, std::int64_t now_ms,
                                               std::int64_t grace_ms, std::size_t limit) {
  std::size_t released = 0;
  for (const auto& id : keys.reserved_jobs(now_ms - grace_ms, limit)) {
    auto job = jobs.get(id);
    // Succeeded jobs are settled before they are marked succeeded; queued and running
    // ones still have a worker (or will) to settle them.
    const bool ended =
        job && (job->status == JobStatus::failed || job->status == JobStatus::canceled);
    if ((!job || (ended && job->updated_ms <= now_ms - grace_ms)) && keys.release(id)) ++released;
  }
  return released;
}

}  // namespace reel::server
