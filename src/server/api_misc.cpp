// /v1/models, /v1/usage, /readyz and /metrics.
#include <mutex>

#include "reel/core/error.hpp"
#include "server/api_routes.hpp"

namespace reel::server {

ApiResponse get_models(ApiState& state) {
  Json models = Json::array();
  // A listing is the explicit moment to look again at weights and keys (card() never does).
  state.ctx.registry.refresh();
  for (const auto& m : state.ctx.registry.models()) {
    const model::ModelCard& c = m->card();
    Json card = c.to_json();
    // The reason names the server's folders ("weights: found at /srv/..."): API clients
    // get whether the model can run and what it needs, in path-free words.
    card["availability"] = c.availability.to_json(/*with_reason=*/false);
    card["available"] = c.availability.available;
    models.push_back(std::move(card));
  }
  return ApiResponse::json(200, {{"models", models}});
}

ApiResponse get_usage(ApiState& state, const ApiRequest& request) {
  Usage u = state.ctx.keys.usage(request.key->id);
  Json budget = u.budget_usd < 0 ? Json(nullptr) : Json(u.budget_usd);
  Json remaining = u.budget_usd < 0
                       ? Json(nullptr)
                       : Json(std::max(0.0, u.budget_usd - u.spent_usd - u.reserved_usd));
  return ApiResponse::json(
      200,
      {{"key_id", u.key_id.empty() ? request.key->id : u.key_id},
       {"budget_usd", budget},
       {"spent_usd", u.spent_usd},
       {"reserved_usd", u.reserved_usd},
       {"remaining_usd", remaining},
       {"jobs_settled", u.jobs_settled},
       {"jobs_reserved", u.jobs_reserved},
       // Measured cost not charged: the budget cap (docs/server.md).
       {"absorbed_usd", u.absorbed_usd},
       {"jobs_capped", u.jobs_capped},
       // Counted, not charged: an upload costs decoding time.
       {"uploads", {{"count", u.uploads}, {"bytes", u.upload_bytes}, {"pixels", u.upload_pixels}}},
       {"active_jobs", state.ctx.jobs.count_active(request.key->id)}});
}

ApiResponse readyz(ApiState& state) {
  if (state.stopping) return problem(503, "unavailable", "shutting down");
  try {
    state.ctx.jobs.list(std::nullopt, "", 1);
    state.ctx.keys.get("key_0000000000000000");
  } catch (const std::exception& e) {
    return problem(503, "unavailable", std::string("store unreachable: ") + e.what());
  }
  return ApiResponse::json(200, {{"status", "ready"}, {"store", state.ctx.engine}});
}

namespace {
// Counting jobs walks the queue; scrapes every few seconds must not do that each time.
struct JobCounts {
  std::mutex mutex;
  std::chrono::steady_clock::time_point at;
  std::string text;
};
JobCounts& counts_cache() {
  static JobCounts c;
  return c;
}
constexpr int kCountCap = 100'000;
}  // namespace

ApiResponse metrics_text(ApiState& state) {
  std::string jobs_text;
  {
    JobCounts& c = counts_cache();
    std::lock_guard lock(c.mutex);
    auto now = std::chrono::steady_clock::now();
    if (c.text.empty() || now - c.at > std::chrono::seconds(5)) {
      std::string t =
          "# HELP reel_jobs Jobs in the store by status (counted up to 100000 each).\n"
          "# TYPE reel_jobs gauge\n";
      long long queued = 0;
      for (JobStatus s : {JobStatus::queued, JobStatus::running, JobStatus::succeeded,
                          JobStatus::failed, JobStatus::canceled}) {
        long long n = 0;
        try {
          n = static_cast<long long>(state.ctx.jobs.list(s, "", kCountCap).size());
        } catch (const std::exception&) {
          n = -1;
        }
        if (s == JobStatus::queued) queued = n;
        t += "reel_jobs{status=\"" + std::string(to_string(s)) + "\"} " + std::to_string(n) + "\n";
      }
      t += "# HELP reel_queue_depth Jobs waiting to be claimed.\n# TYPE reel_queue_depth gauge\n";
      t += "reel_queue_depth " + std::to_string(queued) + "\n";
      c.text = t;
      c.at = now;
    }
    jobs_text = c.text;
  }
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = state.metrics.text() + jobs_text;
  return r;
}

}  // namespace reel::server
