#pragma once
// Pieces both store engines (SQLite, PostgreSQL) share: random ids, the wall clock, JSON
// columns, money in integer nano-dollars and API key secrets.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reel/core/json.hpp"
#include "reel/server/job_store.hpp"
#include "reel/server/key_store.hpp"

namespace reel::server::store {

// bytes random bytes as lowercase hex (job ids, lease tokens, key ids and secrets).
std::string random_hex(int bytes);
std::int64_t wall_clock_ms();

// What both engines do to a job before inserting it: InvalidInput for max_attempts < 1,
// an id and created_ms when missing, and a fresh queued state (no attempts, error,
// result, progress, cancel or worker).
void prepare_for_enqueue(Job& job);

// Throws InvalidInput when the document cannot be stored as text (a string that is not
// UTF-8): the caller's input error, not a crash.
std::string dump_json(const Json& j, const char* what);
// A stored column back to JSON (null when it does not parse).
Json parse_json_column(const std::string& text);

// Money is kept as integer nano-dollars so sums and budget checks are exact.
std::int64_t to_nanos(double usd);
double from_nanos(std::int64_t nanos);

// Throws InvalidInput naming the field when a key's limits are out of range.
void validate_key_spec(const ApiKey& spec);
// A charge (estimate or measured cost) in nano-dollars; InvalidInput when negative or not
// finite.
std::int64_t checked_charge(double usd);

// job_spend_cap_usd in nano-dollars (key_store.hpp): what settle() may charge a job.
std::int64_t job_cap_nanos(std::int64_t reserved_nanos);
// What settle() charges: the measured cost, at most the job's cap and, for a key with a
// budget (budget_nanos >= 0), at most the room left beside the key's settled charges and
// its other jobs' reservations (`committed_others`). Never negative.
std::int64_t capped_charge(std::int64_t actual, std::int64_t reserved, std::int64_t budget_nanos,
                           std::int64_t committed_others);

// A charge row as JobCharge (cap < 0 when the key has no budget).
JobCharge job_charge(std::string key_id, std::string state, std::int64_t reserved,
                     std::int64_t charged, std::int64_t absorbed, std::int64_t budget_nanos,
                     bool key_revoked);

// The audit log's default actor: "<os user>@<host>".
std::string default_actor();
// The fields that differ between two records: {field: {"from", "to"}}.
Json key_changes_json(const ApiKey& before, const ApiKey& after);
// A key record with `change` applied and validated (InvalidInput naming the field).
ApiKey apply_key_update(ApiKey key, const KeyUpdate& change);

// "reel_<key id>_<32 hex>" where the key id is "key_" + 16 hex.
struct KeySecret {
  std::string key_id;
  std::string secret;
  std::string hash_hex;  // SHA-256 of the whole secret; the only thing stored
};
KeySecret new_key_secret();
std::string hash_secret(std::string_view secret);
// The key id a well-formed secret names; nullopt for anything else.
std::optional<std::string> key_id_of_secret(std::string_view secret);
// Constant-time comparison of two equal-length hex digests.
bool same_digest(std::string_view a, std::string_view b);

}  // namespace reel::server::store
