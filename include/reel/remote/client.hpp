#pragma once
// ReelClient: a reel server's HTTP API v1 (docs/api.md) from C++. Submit a pipeline
// or a single task, follow the job (Server-Sent Events, falling back to polling),
// download artifacts, upload input stills, cancel.
//
// Errors from the server (RFC 9457 problem+json) become reel::Error with the server's
// title and detail in the message. The mapping (docs/remote.md):
//   400, 409, 413, 422 → InvalidInput     401 → InvalidInput (missing or unknown key)
//   422 policy-refused → Policy (a model the job's licence policy refuses)
//   402 → Budget (over the key's USD budget)
//   429 → Budget (past the key's concurrency or rate limit; Retry-After in the message)
//   403 → Policy (revoked key, forbidden)    404 → NotFound
//   5xx and anything unexpected → Io        a job that failed → its problem's kind
//   a job that was canceled → Cancelled
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/core/json.hpp"

namespace reel::remote {

struct ClientOptions {
  std::string server;   // "http://host:port" (a path prefix is allowed: http://h/reel)
  std::string api_key;  // "reel_<id>_<hex>"
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{60'000};  // > the server's 15 s SSE heartbeat
  std::uint64_t max_download_bytes = 4ull << 30;

  // REEL_SERVER and REEL_API_KEY; server empty when REEL_SERVER is unset.
  static ClientOptions from_env();
};

struct ArtifactRef {
  std::string hash;  // 32 lowercase hex
  std::string kind;  // "image" | "video"
  std::string media_type;
  std::string url;  // server-relative, e.g. /v1/artifacts/<hash>
};

// A job resource as the server last described it.
struct Job {
  Json raw = Json::object();

  std::string id() const;
  std::string status() const;  // queued | running | succeeded | failed | canceled
  bool finished() const;       // succeeded, failed or canceled
  // The output step's artifact (result.output); throws InvalidInput if not succeeded.
  ArtifactRef output() const;
  // Any step's artifact in result.artifacts, when the server listed it.
  std::optional<ArtifactRef> artifact(const std::string& step) const;
  Json cost() const;  // result.cost (docs/cost.md), {} when absent
};

struct SubmitOptions {
  std::string idempotency_key;  // empty = none
  int prefer_wait_seconds = 0;  // 1..60 asks the server to answer when done; 0 = don't
};

struct JobEvent {
  std::string id;    // SSE id (for resuming)
  std::string type;  // queued started step cached progress succeeded failed canceled
  Json data;         // the event's JSON (null if the server sent non-JSON)
};

struct WaitOptions {
  std::chrono::milliseconds timeout{600'000};
  bool use_events = true;  // SSE first; polling if the stream is unavailable
  std::chrono::milliseconds poll_interval{250};
  std::function<void(const JobEvent&)> on_event;  // progress callback (SSE or synthesized)
  // Checked on every event and at least every max(cancel_check, 1 s): when it returns
  // true the job is canceled on the server and wait throws Error(Cancelled).
  std::function<bool()> cancelled;
  std::chrono::milliseconds cancel_check{500};
};

class ReelClient {
 public:
  explicit ReelClient(ClientOptions options);
  const ClientOptions& options() const { return options_; }

  // POST /v1/jobs with a body as docs/api.md describes ({"pipeline": ...} or a task).
  Job submit(const Json& body, const SubmitOptions& options = {});
  // The pipeline (file schema as JSON, e.g. Graph::to_json()) wrapped as {"pipeline": ...}.
  Job submit_pipeline(const Json& pipeline, const SubmitOptions& options = {});

  // POST /v1/estimates with a job body: the server's plan and price for it, and whether
  // the key's budget covers it ({"plan", "estimate_usd", "estimate_seconds", "budget"}).
  // Nothing is queued or charged.
  Json estimate(const Json& body);

  Job get(const std::string& job_id);
  Job cancel(const std::string& job_id);
  // Follows the job until it finishes; returns it when succeeded, throws the job's
  // error when failed (Cancelled when canceled) and Io when the timeout passes.
  Job wait(const std::string& job_id, const WaitOptions& options = {});

  // POST /v1/artifacts: a PNG or JPEG becomes an input artifact; returns its hash.
  std::string upload_image(std::string_view bytes, std::string_view media_type = "image/png");
  // Whether the server holds this artifact for this key (HEAD-like: a 1-byte range).
  bool has_artifact(const std::string& hash);
  // GET /v1/artifacts/{hash} into a file (atomically: whole or absent) or into memory.
  void download(const std::string& hash, const std::filesystem::path& path);
  std::string download_bytes(const std::string& hash, std::uint64_t max_bytes = 256ull << 20);

  Json usage();   // GET /v1/usage
  Json models();  // GET /v1/models
  Json list_jobs(const std::string& status = {}, int limit = 50);

 private:
  Json call(std::string_view method, const std::string& path, const Json* body,
            const std::vector<std::pair<std::string, std::string>>& extra = {});
  bool follow_events(const std::string& job_id, std::chrono::steady_clock::time_point deadline,
                     const WaitOptions& options, std::string& last_event_id);
  ClientOptions options_;
};

// Turns a problem+json answer (or any non-2xx answer) into the Error described above.
[[noreturn]] void throw_problem(int status, std::string_view body, std::string_view retry_after,
                                std::string_view what);

}  // namespace reel::remote
