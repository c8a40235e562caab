#include "server/pg_schema.hpp"

#include <string>

namespace reel::server::pg {
namespace {

// 2: api key default policy, absorbed overruns in the ledger, the key audit log. A
// version-1 database is upgraded in place (upgrade_to_2_sql, and the new table).
constexpr int schema_version = 2;
// Any fixed number: the advisory lock only has to be the same for every reel process.
constexpr const char* lock_sql = "SELECT pg_advisory_xact_lock(7386921455001)";

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS reel_schema (
  component TEXT PRIMARY KEY,
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reel_jobs (
  seq BIGSERIAL PRIMARY KEY,  -- enqueue order: FIFO within a priority, list cursor
  id TEXT NOT NULL UNIQUE,
  api_key_id TEXT NOT NULL,
  spec TEXT NOT NULL,
  priority INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  error TEXT NOT NULL,
  result TEXT NOT NULL,
  progress TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  not_before_ms BIGINT NOT NULL,
  idempotency_key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  cancel_requested BOOLEAN NOT NULL,
  worker_id TEXT NOT NULL,
  lease_token TEXT NOT NULL,
  lease_expires_ms BIGINT NOT NULL,
  last_event_seq BIGINT NOT NULL  -- the seq of the job's newest event
);
CREATE UNIQUE INDEX IF NOT EXISTS reel_jobs_idempotency ON reel_jobs (api_key_id, idempotency_key)
  WHERE idempotency_key <> '';
CREATE INDEX IF NOT EXISTS reel_jobs_queue ON reel_jobs (priority DESC, seq) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS reel_jobs_lease ON reel_jobs (lease_expires_ms) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS reel_jobs_status ON reel_jobs (status, seq);
CREATE INDEX IF NOT EXISTS reel_jobs_key ON reel_jobs (api_key_id, seq);
CREATE TABLE IF NOT EXISTS reel_job_events (
  job_id TEXT NOT NULL,
  seq BIGINT NOT NULL,  -- per job, from 1, gap-free
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS reel_api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,      -- SHA-256 hex of the whole secret
  budget_nanos BIGINT NOT NULL,  -- < 0: unlimited
  max_concurrent INTEGER NOT NULL,
  rate_per_minute INTEGER NOT NULL,
  max_width INTEGER NOT NULL,
  max_height INTEGER NOT NULL,
  max_frames INTEGER NOT NULL,
  max_duration_s DOUBLE PRECISION NOT NULL,
  revoked BOOLEAN NOT NULL,
  created_ms BIGINT NOT NULL,
  policy TEXT NOT NULL DEFAULT ''  -- the jobs' default licence policy; '' = none
);
CREATE TABLE IF NOT EXISTS reel_key_charges (
  job_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  state TEXT NOT NULL,            -- reserved | settled | released
  reserved_nanos BIGINT NOT NULL,
  actual_nanos BIGINT NOT NULL,   -- settled: what was charged
  updated_ms BIGINT NOT NULL,
  absorbed_nanos BIGINT NOT NULL DEFAULT 0  -- settled: measured beyond the charge
);
CREATE INDEX IF NOT EXISTS reel_key_charges_key ON reel_key_charges (key_id, state);
CREATE TABLE IF NOT EXISTS reel_key_audit (
  seq BIGSERIAL PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  key_id TEXT NOT NULL,
  action TEXT NOT NULL,   -- created | revoked | updated
  actor TEXT NOT NULL,
  detail TEXT NOT NULL    -- JSON; never a secret
);
CREATE INDEX IF NOT EXISTS reel_key_audit_key ON reel_key_audit (key_id, seq);
CREATE TABLE IF NOT EXISTS reel_key_uploads (  -- uploads per key (counted, not charged)
  key_id TEXT PRIMARY KEY,
  uploads BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  pixels BIGINT NOT NULL
);
)sql";

// Version 1 → 2, run only on a database that says it is older: ALTER TABLE takes an
// exclusive lock even when the column exists, which would deadlock with admits running
// while another process opens its stores.
constexpr const char* upgrade_to_2_sql = R"sql(
ALTER TABLE reel_api_keys ADD COLUMN IF NOT EXISTS policy TEXT NOT NULL DEFAULT '';
ALTER TABLE reel_key_charges ADD COLUMN IF NOT EXISTS absorbed_nanos BIGINT NOT NULL DEFAULT 0;
)sql";

}  // namespace

void ensure_schema(Conn& conn) {
  Transaction tx(conn);
  conn.run(lock_sql);
  conn.run(schema_sql);
  auto r = conn.exec("SELECT version FROM reel_schema WHERE component = 'stores'");
  if (r.rows() > 0 && r.int64(0, 0) > schema_version)
    throw Error(ErrorKind::Unsupported, conn.where() + " holds reel store schema version " +
                                            r.text(0, 0) + "; this reel reads up to " +
                                            std::to_string(schema_version));
  if (r.rows() == 0)
    conn.exec("INSERT INTO reel_schema (component, version) VALUES ('stores', $1::int)",
              {std::to_string(schema_version)});
  else if (r.int64(0, 0) < schema_version) {
    conn.run(upgrade_to_2_sql);
    conn.exec("UPDATE reel_schema SET version = $1::int WHERE component = 'stores'",
              {std::to_string(schema_version)});
  }
  tx.commit();
}

}  // namespace reel::server::pg
