// Route table, rate limiting and dispatch of the API v1.
#include "server/api_routes.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"
#include "reel/core/log.hpp"
#include "reel/pipeline/preflight.hpp"

namespace reel::server {

namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  if (path.empty() || path[0] != '/') return {"\x01"};  // never matches a route
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

RouteInfo route(std::string name, bool auth, BodyKind body, bool method_ok) {
  RouteInfo r;
  r.name = std::move(name);
  r.auth = auth;
  r.body = body;
  r.method_ok = method_ok;
  return r;
}

}  // namespace

RouteInfo classify(const std::string& method, const std::string& path) {
  auto s = segments(path);
  bool get = method == "GET", post = method == "POST";
  if (s.size() == 1) {
    if (s[0] == "healthz") return route("GET /healthz", false, BodyKind::none, get);
    if (s[0] == "readyz") return route("GET /readyz", false, BodyKind::none, get);
    if (s[0] == "metrics") return route("GET /metrics", false, BodyKind::none, get);
  }
  if (s.size() >= 2 && s[0] == "v1") {
    if (s.size() == 2 && s[1] == "openapi.json")
      return route("GET /v1/openapi.json", false, BodyKind::none, get);
    if (s.size() == 2 && s[1] == "models")
      return route("GET /v1/models", true, BodyKind::none, get);
    if (s.size() == 2 && s[1] == "usage") return route("GET /v1/usage", true, BodyKind::none, get);
    if (s.size() == 2 && s[1] == "estimates")
      return route("POST /v1/estimates", true, BodyKind::json, post);
    if (s[1] == "jobs") {
      if (s.size() == 2)
        return post ? route("POST /v1/jobs", true, BodyKind::json, true)
                    : route("GET /v1/jobs", true, BodyKind::none, get);
      if (s.size() == 3) return route("GET /v1/jobs/{id}", true, BodyKind::none, get);
      if (s.size() == 4 && s[3] == "cancel")
        return route("POST /v1/jobs/{id}/cancel", true, BodyKind::none, post);
      if (s.size() == 4 && s[3] == "events")
        return route("GET /v1/jobs/{id}/events", true, BodyKind::none, get);
    }
    if (s[1] == "artifacts") {
      if (s.size() == 2) return route("POST /v1/artifacts", true, BodyKind::upload, post);
      if (s.size() == 3) return route("GET /v1/artifacts/{hash}", true, BodyKind::none, get);
    }
  }
  RouteInfo unknown;
  unknown.name = "unknown";
  unknown.known = false;
  unknown.auth = false;
  return unknown;
}

model::Limits limits_for(const ApiKey& key) {
  model::Limits l = model::default_limits();
  if (key.max_width > 0) l.max_width = std::min(l.max_width, key.max_width);
  if (key.max_height > 0) l.max_height = std::min(l.max_height, key.max_height);
  if (key.max_frames > 0) l.max_frames = std::min(l.max_frames, key.max_frames);
  if (key.max_duration_s > 0)
    l.max_duration_seconds = std::min(l.max_duration_seconds, key.max_duration_s);
  return l;
}

bool RateLimiter::take(const std::string& key_id, int per_minute, int& retry_after_s) {
  if (per_minute <= 0) return true;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(key_id);
  Bucket& b = it->second;
  double capacity = per_minute, per_second = per_minute / 60.0;
  if (fresh) {
    b.tokens = capacity;
  } else {
    double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * per_second);
  }
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  retry_after_s = std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / per_second)));
  return false;
}

namespace {
std::string secret_digest(const std::string& secret) {
  Sha256Digest d = sha256({reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()});
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}
}  // namespace

std::optional<ApiKey> AuthCache::find(const std::string& secret, std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) return std::nullopt;
  std::string digest = secret_digest(secret);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(digest);
  if (it == entries_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.at > ttl) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.key;
}

void AuthCache::put(const std::string& secret, const ApiKey& key) {
  std::string digest = secret_digest(secret);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[digest] = Entry{key, std::chrono::steady_clock::now()};
}

std::optional<std::string> FinishedJobCache::find(const std::string& id, std::string& owner) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  owner = it->second.first;
  return it->second.second;
}

void FinishedJobCache::put(const std::string& id, const std::string& owner,
                           const std::string& body) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[id] = {owner, body};
}

std::optional<ApiResponse> handle_in_memory(ApiState& state, const ApiRequest& request) {
  if (request.path == "/healthz") return ApiResponse::json(200, {{"status", "ok"}});
  auto s = segments(request.path);
  if (request.method == "GET" && s.size() == 3 && s[1] == "jobs" && request.key) {
    std::string owner;
    if (auto body = state.finished_jobs.find(s[2], owner)) {
      if (owner != request.key->id) return problem(404, "not-found", "no job " + s[2]);
      ApiResponse r;
      r.body = std::move(*body);
      return r;
    }
  }
  return std::nullopt;
}

ApiResponse handle(ApiState& state, const ApiRequest& request) {
  auto s = segments(request.path);
  const std::string& m = request.method;
  try {
    if (request.path == "/healthz") return ApiResponse::json(200, {{"status", "ok"}});
    if (request.path == "/readyz") return readyz(state);
    if (request.path == "/metrics") return metrics_text(state);
    if (request.path == "/v1/openapi.json") {
      ApiResponse r;
      r.body = openapi_document();
      return r;
    }
    if (request.path == "/v1/models") return get_models(state);
    if (request.path == "/v1/usage") return get_usage(state, request);
    if (request.path == "/v1/estimates") return post_estimate(state, request);
    if (s.size() >= 2 && s[1] == "jobs") {
      if (s.size() == 2) return m == "POST" ? post_job(state, request) : list_jobs(state, request);
      if (s.size() == 3) return get_job(state, request, s[2]);
      if (s[3] == "cancel") return cancel_job(state, request, s[2]);
      return job_events(state, request, s[2]);
    }
    if (s.size() >= 2 && s[1] == "artifacts") {
      if (s.size() == 2) return post_artifact(state, request);
      return get_artifact(state, request, s[2]);
    }
    return problem(404, "not-found", "no route " + request.method + " " + request.path);
  } catch (const pipeline::ModelUnavailable& e) {
    // The server's state, not the request, is lacking (weights, a provider key): 503, in
    // the path-free words of the model's `needs`. Nothing was queued or reserved.
    return problem(503, "model-unavailable", e.public_message());
  } catch (const Error& e) {
    switch (e.kind()) {
      case ErrorKind::Policy:
        return problem(422, "policy-refused", e.what());
      case ErrorKind::InvalidInput:
      case ErrorKind::NotFound:
        return problem(422, "invalid-request", e.what());
      case ErrorKind::Unsupported:
        return problem(501, "internal", e.what());
      case ErrorKind::Budget:
        return problem(402, "over-budget", e.what());
      default:
        log_error(std::string("api: ") + e.what());
        return problem(500, "internal", "internal error; see the server log");
    }
  } catch (const std::exception& e) {
    log_error(std::string("api: ") + e.what());
    return problem(500, "internal", "internal error; see the server log");
  }
}

}  // namespace reel::server
