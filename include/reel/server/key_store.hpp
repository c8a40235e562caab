#pragma once
// API keys, budgets and the usage ledger behind `reel serve`. One interface, one engine per
// database (SQLite embedded, PostgreSQL shared), living beside the JobStore in the same
// database. Secrets are shown once at creation and stored only as SHA-256 hashes; a
// lookup compares hashes in constant time. Money is admitted (reserved) with the
// planner's estimate before a job is queued and settled with the ledger's measured cost
// when it finishes, exactly once per job. See docs/server.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reel::server {

struct ApiKey {
  std::string id;          // public id, "key_" + 16 hex; part of the secret
  std::string name;        // free text for humans
  double budget_usd = -1;  // < 0: unlimited
  int max_concurrent = 4;  // queued + running jobs at once
  int rate_per_minute = 600;
  // Per-key request limits, checked before a job is queued (0: the global limit).
  int max_width = 0, max_height = 0, max_frames = 0;
  double max_duration_s = 0;
  bool revoked = false;
  std::int64_t created_ms = 0;
  // Read-only, filled by the store.
  double spent_usd = 0;     // settled
  double reserved_usd = 0;  // admitted, not yet settled
};

enum class Admission { admitted, over_budget, unknown_key, revoked };

struct Usage {
  std::string key_id;
  double budget_usd = -1;
  double spent_usd = 0;
  double reserved_usd = 0;
  int jobs_settled = 0;  // ledger entries: one per finished job
  int jobs_reserved = 0;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Creates a key from the given limits (id and created_ms are filled in); returns the
  // stored record and the secret "reel_<id>_<32 hex>", which is never stored.
  virtual std::pair<ApiKey, std::string> create(ApiKey spec) = 0;
  // The key a secret belongs to (revoked keys included: the caller answers 403), or
  // nullopt when the secret is malformed or unknown. Constant-time hash comparison.
  virtual std::optional<ApiKey> authenticate(std::string_view secret) = 0;
  virtual std::optional<ApiKey> get(const std::string& key_id) = 0;
  virtual std::vector<ApiKey> list() = 0;
  virtual bool revoke(const std::string& key_id) = 0;

  // Atomically reserves estimate_usd for job_id when spent + reserved + estimate fits the
  // budget. A second admit for the same job_id returns admitted and reserves nothing more.
  virtual Admission admit(const std::string& key_id, const std::string& job_id,
                          double estimate_usd) = 0;
  // Replaces job_id's reservation by the measured cost (one ledger entry). Idempotent:
  // false and no change when the job was already settled or released, or never admitted.
  virtual bool settle(const std::string& job_id, double actual_usd) = 0;
  // Drops job_id's reservation without a charge (canceled before it ran). Idempotent.
  virtual bool release(const std::string& job_id) = 0;
  // Jobs still holding a reservation made before `reserved_before_ms` (wall clock), oldest
  // first, at most `limit`: the sweep in worker.hpp releases those whose job ended without
  // a worker to release them.
  virtual std::vector<std::string> reserved_jobs(std::int64_t reserved_before_ms,
                                                 std::size_t limit) = 0;
  virtual Usage usage(const std::string& key_id) = 0;
};

}  // namespace reel::server
