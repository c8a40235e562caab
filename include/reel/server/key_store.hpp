#pragma once
// API keys, budgets and the usage ledger behind `reel serve`. One interface, one engine per
// database (SQLite embedded, PostgreSQL shared), living beside the JobStore in the same
// database. Secrets are shown once at creation and stored only as SHA-256 hashes; a
// lookup compares hashes in constant time. Money is admitted (reserved) with the
// planner's estimate before a job is queued and settled with the ledger's measured cost
// when it finishes, exactly once per job, and never past the key's budget (the overrun is
// recorded as absorbed). Every change to a key is written to its audit log. See
// docs/server.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/core/json.hpp"

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
  // The licence policy (provenance::policy_names()) a job of this key runs under when it
  // names none; "" = none. A job may name this policy or a stricter one, never a looser one.
  std::string policy;
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
  // Measured cost that was not charged because settling it would have passed the job's cap
  // or the key's budget: the operator's loss, shown so it is never silent.
  double absorbed_usd = 0;
  int jobs_capped = 0;  // settled jobs with an absorbed overrun
  // Images the key uploaded (POST /v1/artifacts) and what they cost to take in: uploads
  // are free of charge but not of work, so they are counted where the operator looks.
  std::int64_t uploads = 0;
  std::int64_t upload_bytes = 0;
  std::int64_t upload_pixels = 0;  // decoded
};

// The budget-cap tolerance (docs/server.md, "Charging"). A job of a key with a budget may
// spend twice its reservation, and at least $0.0001 more (about 4 s of two CPU cores at
// the default price). Estimates are measured on an idle machine: a studio film on a
// loaded 2-core box ran 1.5x its estimate, and an honest job must not be stopped for
// that; a runaway step (10 minutes for a 1 ms estimate) still is, within seconds. The
// worker stops a job when its measured spend reaches this, and settle() never charges
// more. The key's budget bounds the total whatever the tolerance.
inline constexpr double kJobOverrunFraction = 1.0;
inline constexpr double kJobOverrunFloorUsd = 0.0001;
double job_spend_cap_usd(double reserved_usd);

// A key as `reel keys list --json` and the audit log show it: never its secret or hash;
// budget_usd and policy are null when there is none.
Json key_json(const ApiKey& k);

// One admitted job's money, as the worker needs it to watch a running job's spend.
struct JobCharge {
  std::string key_id;
  std::string state;         // reserved | settled | released
  double reserved_usd = 0;   // what admission reserved
  double cap_usd = -1;       // job_spend_cap_usd(reserved); < 0: the key has no budget
  double charged_usd = 0;    // settled: what the ledger charged
  double absorbed_usd = 0;   // settled: measured beyond what was charged
  bool key_revoked = false;  // the key now, read with the row: one read at a claim
};

// A change to a key's limits; unset fields stay as they are.
struct KeyUpdate {
  std::optional<double> budget_usd;   // < 0: unlimited
  std::optional<std::string> policy;  // "" = none
  std::optional<int> max_concurrent;
  std::optional<int> rate_per_minute;
};

// One line of the audit log of key changes: never a secret or its hash.
struct AuditEntry {
  std::int64_t seq = 0;  // increasing, across all keys
  std::int64_t at_ms = 0;
  std::string key_id;
  std::string action;            // created | revoked | updated
  std::string actor;             // who: set_actor(), by default "<os user>@<host>"
  Json detail = Json::object();  // created: the limits; updated: {field: {"from", "to"}}
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
  // Changes a key's limits (validated as at create) and logs what changed; returns the
  // new record. NotFound for an unknown key.
  virtual ApiKey update(const std::string& key_id, const KeyUpdate& change) = 0;
  // The audit log, oldest first: one key's entries, or every key's when key_id is empty.
  virtual std::vector<AuditEntry> audit(const std::string& key_id, std::size_t limit) = 0;
  // Who the audit log names for this store's changes from now on (e.g. "cli:alice@host").
  void set_actor(std::string actor) { actor_ = std::move(actor); }

  // Atomically reserves estimate_usd for job_id when spent + reserved + estimate fits the
  // budget. A second admit for the same job_id returns admitted and reserves nothing more.
  virtual Admission admit(const std::string& key_id, const std::string& job_id,
                          double estimate_usd) = 0;
  // Replaces job_id's reservation by the measured cost (one ledger entry), capped: for a key
  // with a budget the charge is at most job_spend_cap_usd(reservation) and at most what
  // the budget has left beside the other jobs' reservations, so settling never takes a key
  // past its budget; the rest is recorded as absorbed. Idempotent: false and no change
  // when the job was already settled or released, or never admitted.
  virtual bool settle(const std::string& job_id, double actual_usd) = 0;
  // The job's reservation and cap; nullopt when it was never admitted.
  virtual std::optional<JobCharge> charge(const std::string& job_id) = 0;
  // Drops job_id's reservation without a charge (canceled before it ran). Idempotent.
  virtual bool release(const std::string& job_id) = 0;
  // Jobs still holding a reservation made before `reserved_before_ms` (wall clock), oldest
  // first, at most `limit`: the sweep in worker.hpp releases those whose job ended without
  // a worker to release them.
  virtual std::vector<std::string> reserved_jobs(std::int64_t reserved_before_ms,
                                                 std::size_t limit) = 0;
  virtual Usage usage(const std::string& key_id) = 0;
  // Counts one upload of `bytes` that decoded to `pixels` against the key's usage.
  virtual void record_upload(const std::string& key_id, std::int64_t bytes,
                             std::int64_t pixels) = 0;

 protected:
  std::string actor_;
};

}  // namespace reel::server
