// Completion webhooks of jobs. Delivery (signing, retries, SSRF rules) is the remote
// layer's; until it is linked in, a job asking for a webhook gets a warning in the log.
#include "job_runner.hpp"
#include "reel/core/log.hpp"

namespace reel::server {

void send_job_webhook(const RunnerEnv&, const Job& job, JobStatus status, const Json&) {
  if (!job.spec.is_object() || !job.spec.contains("webhook")) return;
  log_warn("job " + job.id + " (" + std::string(to_string(status)) +
           "): webhook not delivered: this build has no webhook delivery yet");
}

}  // namespace reel::server
