// Completion webhooks of jobs, delivered in the background by the remote layer (signing,
// retries with backoff, SSRF rules: include/reel/remote/webhook.hpp), so a customer's
// slow endpoint never holds a worker slot.
#include <thread>

#include "job_runner.hpp"
#include "reel/core/log.hpp"
#include "reel/remote/webhook.hpp"

namespace reel::server {

void send_job_webhook(const RunnerEnv& env, const Job& job, JobStatus status, const Json& data) {
  if (!job.spec.is_object() || !job.spec.contains("webhook")) return;
  const Json& hook = job.spec["webhook"];
  if (!hook.is_object() || !hook.contains("url") || !hook["url"].is_string()) {
    log_warn("job " + job.id + ": webhook has no \"url\" string; not delivered");
    return;
  }
  if (env.webhook_secret.empty()) {
    // Unsigned deliveries could be forged by anyone who knows the URL: none are sent.
    log_warn("job " + job.id +
             ": webhook not delivered: no signing secret (set REEL_WEBHOOK_SECRET)");
    return;
  }
  Json payload = data;
  payload["id"] = job.id;
  payload["status"] = std::string(to_string(status));
  std::string body = remote::webhook_event_body("job." + std::string(to_string(status)), payload);
  // Stable across the delivery's retries (receivers dedupe on it); one per job and outcome.
  std::string event_id = "job_" + job.id + "_" + std::string(to_string(status));
  std::string url = hook["url"].get<std::string>();
  remote::WebhookOptions options;
  options.allow_private = env.webhook_allow_private;
  std::string secret = env.webhook_secret, job_id = job.id;
  // Detached with copies of everything it needs: it may outlive the worker loop (a
  // delivery retries for up to five minutes; a process that exits first drops it).
  std::thread([=] {
    try {
      remote::WebhookDelivery d = remote::deliver_webhook(url, secret, event_id, body, options);
      if (!d.delivered)
        log_warn("job " + job_id + ": webhook not delivered after " + std::to_string(d.attempts) +
                 " attempts: " + d.last_error);
    } catch (const std::exception& e) {
      log_warn("job " + job_id + ": webhook refused: " + e.what());
    }
  }).detach();
}

}  // namespace reel::server
