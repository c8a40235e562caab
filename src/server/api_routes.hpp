#pragma once
// The routes of docs/api.md over plain ApiRequest/ApiResponse values. The server calls
// classify() on the request line (before any body is read), authenticates when the route
// asks for it, reads the body up to the route's limit, then calls handle() on the store
// pool (handlers block on the database).
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "reel/model/limits.hpp"
#include "reel/server/http_server.hpp"
#include "server/api_types.hpp"
#include "server/http_metrics.hpp"

namespace reel::server {

enum class BodyKind { none, json, upload };

struct RouteInfo {
  std::string name;  // stable label for metrics, e.g. "GET /v1/jobs/{id}"
  bool auth = true;
  BodyKind body = BodyKind::none;
  bool known = true;  // false: 404 (or 405 when only the method is wrong)
  bool method_ok = true;
};

RouteInfo classify(const std::string& method, const std::string& path);

// What a key's requests may make: the server's limits tightened by the key's own.
model::Limits limits_for(const ApiKey& key);

// Per-key token buckets: capacity = rate per minute, refilled continuously.
class RateLimiter {
 public:
  // True when a token was taken; otherwise retry_after_s says when one will be there.
  bool take(const std::string& key_id, int per_minute, int& retry_after_s);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

// Recently authenticated keys by SHA-256 of the secret, so a hot client does not cost a
// store round trip per request. Only known keys are cached (a flood of random secrets
// cannot grow it past kMaxEntries: the map is cleared when full).
class AuthCache {
 public:
  static constexpr std::size_t kMaxEntries = 10'000;
  std::optional<ApiKey> find(const std::string& secret, std::chrono::milliseconds ttl);
  void put(const std::string& secret, const ApiKey& key);

 private:
  struct Entry {
    ApiKey key;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

// Finished jobs never change, so their rendered resource is kept (by id, with the owning
// key for the tenant check) and status polls of a finished job skip the store and the JSON
// work. Cleared when full.
class FinishedJobCache {
 public:
  static constexpr std::size_t kMaxEntries = 10'000;
  // The body when cached; owner is set to the job's key id.
  std::optional<std::string> find(const std::string& id, std::string& owner);
  void put(const std::string& id, const std::string& owner, const std::string& body);

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, std::string>> entries_;
};

// Open event streams per key (a key cannot hold thousands of connections open).
class StreamSlots {
 public:
  bool acquire(const std::string& key_id, int max) {
    std::lock_guard lock(mutex_);
    int& n = open_[key_id];
    if (n >= max) return false;
    ++n;
    return true;
  }
  void release(const std::string& key_id) {
    std::lock_guard lock(mutex_);
    if (auto it = open_.find(key_id); it != open_.end() && --it->second <= 0) open_.erase(it);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> open_;
};

struct ApiState {
  ApiContext ctx;
  HttpOptions options;
  RateLimiter rate;
  AuthCache auth_cache;
  FinishedJobCache finished_jobs;
  StreamSlots streams;
  Metrics metrics;
  std::atomic<bool> stopping{false};
};

ApiResponse handle(ApiState& state, const ApiRequest& request);
// The answer when it needs no store call (liveness, a finished job's cached resource), so
// the server can reply on the I/O thread without a hop through the store pool.
std::optional<ApiResponse> handle_in_memory(ApiState& state, const ApiRequest& request);

// Per-route handlers (api_jobs.cpp, api_artifacts.cpp, api_misc.cpp).
ApiResponse post_job(ApiState& state, const ApiRequest& request);
// POST /v1/estimates: a job body's plan and price and whether the key's budget covers it;
// nothing is queued, reserved or charged.
ApiResponse post_estimate(ApiState& state, const ApiRequest& request);
ApiResponse get_job(ApiState& state, const ApiRequest& request, const std::string& id);
ApiResponse list_jobs(ApiState& state, const ApiRequest& request);
ApiResponse cancel_job(ApiState& state, const ApiRequest& request, const std::string& id);
// The answer to a Prefer: wait request: nullopt while the job runs (unless last).
std::optional<ApiResponse> job_wait_answer(ApiState& state, const std::string& id, bool last);
ApiResponse job_events(ApiState& state, const ApiRequest& request, const std::string& id);
ApiResponse post_artifact(ApiState& state, const ApiRequest& request);
ApiResponse get_artifact(ApiState& state, const ApiRequest& request, const std::string& hash);
ApiResponse get_models(ApiState& state);
ApiResponse get_usage(ApiState& state, const ApiRequest& request);
ApiResponse readyz(ApiState& state);
ApiResponse metrics_text(ApiState& state);

// The job resource of docs/api.md.
Json job_json(const Job& job);
bool is_terminal(JobStatus status);
bool is_terminal_event(const std::string& type);

}  // namespace reel::server
