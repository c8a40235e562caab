// Engine-independent parts of the job queue: status names and the retry schedule.
#include "reel/server/job_store.hpp"

#include <algorithm>

#include "reel/core/error.hpp"

namespace reel::server {

std::string_view to_string(JobStatus status) {
  switch (status) {
    case JobStatus::queued:
      return "queued";
    case JobStatus::running:
      return "running";
    case JobStatus::succeeded:
      return "succeeded";
    case JobStatus::failed:
      return "failed";
    case JobStatus::canceled:
      return "canceled";
  }
  return "unknown";
}

JobStatus parse_job_status(std::string_view text) {
  for (auto s : {JobStatus::queued, JobStatus::running, JobStatus::succeeded, JobStatus::failed,
                 JobStatus::canceled})
    if (to_string(s) == text) return s;
  throw Error(ErrorKind::InvalidInput,
              "unknown job status '" + std::string(text) +
                  "'; allowed: queued, running, succeeded, failed, canceled");
}

std::int64_t retry_backoff_ms(int attempt) {
  constexpr std::int64_t base_ms = 1000, cap_ms = 60000;
  int shift = std::clamp(attempt - 1, 0, 16);  // 2^16 s is far past the cap
  return std::min(base_ms << shift, cap_ms);
}

// Engines that predate these calls refuse them clearly until they implement them.
std::vector<Job> JobStore::list_for_key(const std::string&, std::optional<JobStatus>,
                                        const std::string&, int) {
  throw Error(ErrorKind::Unsupported, "this job store engine cannot list jobs per key yet");
}
int JobStore::count_active(const std::string&) {
  throw Error(ErrorKind::Unsupported, "this job store engine cannot count jobs per key yet");
}
bool JobStore::append_event(const Lease&, const std::string&, const Json&) {
  throw Error(ErrorKind::Unsupported, "this job store engine has no event log yet");
}
std::vector<JobEvent> JobStore::events(const std::string&, std::int64_t, int) {
  throw Error(ErrorKind::Unsupported, "this job store engine has no event log yet");
}

}  // namespace reel::server
