// The PostgreSQL engine of the job queue, shared by any number of processes on any number
// of machines. Each call is one statement committed at once (claim included: it settles
// dead leases, picks with FOR UPDATE SKIP LOCKED so concurrent workers never wait on each
// other's row, takes the job and logs its events in one round trip). Every lease-holder
// write names the lease token in its WHERE clause, which is the fence, as in the SQLite
// engine. Event seqs come from a per-job counter bumped by the same UPDATE that changes
// the job, so the row lock makes them gap-free.
#include <string>

#include "reel/core/error.hpp"
#include "reel/server/stores.hpp"
#include "server/pg_db.hpp"
#include "server/pg_schema.hpp"
#include "server/store_util.hpp"

namespace reel::server {
namespace {

using pg::Param;

constexpr const char* job_columns =
    "id, api_key_id, spec, priority, status, attempts, max_attempts, error, result, progress, "
    "created_ms, updated_ms, not_before_ms, idempotency_key, body_hash, cancel_requested, "
    "worker_id";

std::string select_jobs(const std::string& tail) {
  return std::string("SELECT ") + job_columns + " FROM reel_jobs " + tail;
}

Job read_job(const pg::Result& r, int row) {
  Job j;
  j.id = r.text(row, 0);
  j.api_key_id = r.text(row, 1);
  j.spec = store::parse_json_column(r.text(row, 2));
  j.priority = static_cast<int>(r.int64(row, 3));
  j.status = parse_job_status(r.text(row, 4));
  j.attempts = static_cast<int>(r.int64(row, 5));
  j.max_attempts = static_cast<int>(r.int64(row, 6));
  j.error = r.text(row, 7);
  j.result = store::parse_json_column(r.text(row, 8));
  j.progress = store::parse_json_column(r.text(row, 9));
  j.created_ms = r.int64(row, 10);
  j.updated_ms = r.int64(row, 11);
  j.not_before_ms = r.int64(row, 12);
  j.idempotency_key = r.text(row, 13);
  j.body_hash = r.text(row, 14);
  j.cancel_requested = r.boolean(row, 15);
  j.worker_id = r.text(row, 16);
  return j;
}

std::vector<Job> read_jobs(const pg::Result& r) {
  std::vector<Job> jobs;
  for (int i = 0; i < r.rows(); ++i) jobs.push_back(read_job(r, i));
  return jobs;
}

// $1 = job id, $2 = lease token.
constexpr const char* fence =
    " WHERE id = $1 AND lease_token = $2 AND lease_token <> '' AND status = 'running'";

std::string num(std::int64_t v) {
  return std::to_string(v);
}

const std::string claim_sql = R"sql(
WITH dead AS MATERIALIZED (
  SELECT seq FROM reel_jobs
  WHERE status = 'running' AND lease_expires_ms <= $1::bigint
    AND (cancel_requested OR attempts >= max_attempts)
  FOR UPDATE SKIP LOCKED),
settled AS (
  UPDATE reel_jobs j SET
    status = CASE WHEN j.cancel_requested THEN 'canceled' ELSE 'failed' END,
    error = CASE WHEN j.cancel_requested THEN j.error ELSE
      'lease expired on attempt ' || j.attempts || ' of ' || j.max_attempts || ' (worker ' ||
      j.worker_id || ' stopped heartbeating); no attempts left' END,
    lease_token = '', updated_ms = $1::bigint, last_event_seq = j.last_event_seq + 1
  FROM dead WHERE j.seq = dead.seq
  RETURNING j.id, j.status, j.error, j.last_event_seq),
queued AS MATERIALIZED (
  SELECT seq, priority, false AS handed_on FROM reel_jobs
  WHERE status = 'queued' AND not_before_ms <= $1::bigint
  ORDER BY priority DESC, seq LIMIT 1 FOR UPDATE SKIP LOCKED),
expired AS MATERIALIZED (
  SELECT seq, priority, true AS handed_on FROM reel_jobs
  WHERE status = 'running' AND lease_expires_ms <= $1::bigint
    AND NOT cancel_requested AND attempts < max_attempts
  ORDER BY priority DESC, seq LIMIT 1 FOR UPDATE SKIP LOCKED),
pick AS (
  SELECT seq, handed_on FROM (SELECT * FROM queued UNION ALL SELECT * FROM expired) c
  ORDER BY priority DESC, seq LIMIT 1),
taken AS (
  UPDATE reel_jobs j SET status = 'running', attempts = j.attempts + 1,
    lease_token = $2::text, lease_expires_ms = $3::bigint, worker_id = $4::text,
    updated_ms = $1::bigint,
    last_event_seq = j.last_event_seq + CASE WHEN pick.handed_on THEN 2 ELSE 1 END
  FROM pick WHERE j.seq = pick.seq
  RETURNING j.*, pick.handed_on),
logged AS (
  INSERT INTO reel_job_events (job_id, seq, type, data, at_ms)
  SELECT id, last_event_seq, status,
    CASE WHEN status = 'canceled' THEN '{}' ELSE json_build_object('error', error)::text END,
    $1::bigint FROM settled
  UNION ALL
  SELECT id, last_event_seq - 1, 'retrying',
    json_build_object('attempt', attempts - 1, 'error', 'lease expired')::text, $1::bigint
  FROM taken WHERE handed_on
  UNION ALL
  SELECT id, last_event_seq, 'started',
    json_build_object('attempt', attempts, 'worker_id', worker_id)::text, $1::bigint FROM taken)
SELECT )sql" + std::string(job_columns) +
                              " FROM taken";

class PostgresJobStore final : public JobStore {
 public:
  // A queue table's statistics lag behind bursts of enqueues (autovacuum analyzes it once a
  // minute at best); planned from stale ones, the claim sorts every queued job instead of
  // reading the first entry of the queue index — O(queue) per claim. Sorting is what the
  // job store's statements never need, so this session avoids it whenever an index gives
  // the order.
  explicit PostgresJobStore(const std::string& url) : pool_(url, "SET enable_sort = off") {
    auto c = pool_.acquire();
    pg::ensure_schema(*c);
  }

  std::pair<Job, bool> enqueue(Job job) override {
    store::prepare_for_enqueue(job);
    std::string spec = store::dump_json(job.spec, "spec");

    auto c = pool_.acquire();
    // A concurrent enqueue with the same key makes ON CONFLICT wait for it and then skip;
    // the loop reads the winner (and goes round again in the rare case it was gone).
    for (int round = 0; round < 3; ++round) {
      auto ins = c->exec(
          "WITH ins AS (INSERT INTO reel_jobs (id, api_key_id, spec, priority, status, attempts, "
          "max_attempts, error, result, progress, created_ms, updated_ms, not_before_ms, "
          "idempotency_key, body_hash, cancel_requested, worker_id, lease_token, "
          "lease_expires_ms, last_event_seq) VALUES ($1, $2, $3, $4::int, 'queued', 0, $5::int, "
          "'', 'null', 'null', $6::bigint, $6::bigint, $7::bigint, $8, $9, false, '', '', 0, 1) "
          "ON CONFLICT (api_key_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING "
          "RETURNING id, priority, created_ms), logged AS (INSERT INTO reel_job_events (job_id, "
          "seq, type, data, at_ms) SELECT id, 1, 'queued', json_build_object('priority', "
          "priority)::text, created_ms FROM ins) SELECT id FROM ins",
          {job.id, job.api_key_id, spec, num(job.priority), num(job.max_attempts),
           num(job.created_ms), num(job.not_before_ms), job.idempotency_key, job.body_hash});
      if (ins.rows() == 1) return {job, true};
      auto existing = c->exec(select_jobs("WHERE api_key_id = $1 AND idempotency_key = $2"),
                              {job.api_key_id, job.idempotency_key});
      if (existing.rows() == 0) continue;
      Job found = read_job(existing, 0);
      if (found.body_hash != job.body_hash)
        throw Error(ErrorKind::InvalidInput,
                    "idempotency key '" + job.idempotency_key +
                        "' reused with a different body; send the same body or a new key");
      return {found, false};
    }
    throw Error(ErrorKind::Io, "job store: enqueue with idempotency key '" + job.idempotency_key +
                                   "' kept conflicting; try again");
  }

  std::optional<Job> get(const std::string& id) override {
    auto c = pool_.acquire();
    auto r = c->exec(select_jobs("WHERE id = $1"), {id});
    if (r.rows() == 0) return std::nullopt;
    return read_job(r, 0);
  }

  std::optional<Job> find_idempotent(const std::string& api_key_id,
                                     const std::string& idempotency_key) override {
    if (idempotency_key.empty()) return std::nullopt;
    auto c = pool_.acquire();
    auto r = c->exec(select_jobs("WHERE api_key_id = $1 AND idempotency_key = $2"),
                     {api_key_id, idempotency_key});
    if (r.rows() == 0) return std::nullopt;
    return read_job(r, 0);
  }

  std::vector<Job> list(std::optional<JobStatus> status, const std::string& after_id_cursor,
                        int limit) override {
    if (limit < 1) return {};
    auto c = pool_.acquire();
    // An unknown cursor pages from the start rather than failing: ids are opaque to clients.
    return read_jobs(c->exec(
        select_jobs("WHERE ($1 = '' OR status = $1) AND seq > COALESCE((SELECT seq FROM "
                    "reel_jobs WHERE id = $2), 0) ORDER BY seq LIMIT $3::int"),
        {status ? std::string(to_string(*status)) : std::string(), after_id_cursor, num(limit)}));
  }

  std::vector<Job> list_for_key(const std::string& api_key_id, std::optional<JobStatus> status,
                                const std::string& after_id_cursor, int limit) override {
    if (limit < 1) return {};
    auto c = pool_.acquire();
    return read_jobs(c->exec(
        select_jobs("WHERE api_key_id = $4 AND ($1 = '' OR status = $1) AND seq > "
                    "COALESCE((SELECT seq FROM reel_jobs WHERE id = $2 AND api_key_id = $4), 0) "
                    "ORDER BY seq LIMIT $3::int"),
        {status ? std::string(to_string(*status)) : std::string(), after_id_cursor, num(limit),
         api_key_id}));
  }

  int count_active(const std::string& api_key_id) override {
    auto c = pool_.acquire();
    auto r = c->exec(
        "SELECT count(*) FROM reel_jobs WHERE api_key_id = $1 AND status IN ('queued', "
        "'running')",
        {api_key_id});
    return static_cast<int>(r.int64(0, 0));
  }

  std::optional<std::pair<Job, Lease>> claim(const std::string& worker_id, std::int64_t lease_ms,
                                             std::int64_t now_ms) override {
    if (lease_ms <= 0)
      throw Error(ErrorKind::InvalidInput,
                  "lease of " + std::to_string(lease_ms) + " ms; it must be positive");
    Lease lease;
    lease.token = store::random_hex(16);
    lease.expires_ms = now_ms + lease_ms;
    auto c = pool_.acquire();
    auto r = c->exec(claim_sql, {num(now_ms), lease.token, num(lease.expires_ms), worker_id});
    if (r.rows() == 0) return std::nullopt;
    Job job = read_job(r, 0);
    lease.job_id = job.id;
    lease.attempt = job.attempts;
    return std::pair{std::move(job), std::move(lease)};
  }

  bool heartbeat(const Lease& lease, std::int64_t lease_ms, std::int64_t now_ms) override {
    auto c = pool_.acquire();
    return c->exec(std::string("UPDATE reel_jobs SET lease_expires_ms = $3::bigint, updated_ms "
                               "= $4::bigint") +
                       fence,
                   {lease.job_id, lease.token, num(now_ms + lease_ms), num(now_ms)})
               .affected() > 0;
  }

  bool progress(const Lease& lease, const Json& progress) override {
    std::string text = store::dump_json(progress, "progress");
    auto c = pool_.acquire();
    return c->exec(std::string("UPDATE reel_jobs SET progress = $3") + fence,
                   {lease.job_id, lease.token, text})
               .affected() > 0;
  }

  bool complete(const Lease& lease, const Json& result) override {
    std::string text = store::dump_json(result, "result");
    return finish(lease, "status = 'succeeded', result = $3, error = ''", "succeeded", text);
  }

  bool fail(const Lease& lease, const std::string& error, bool retryable,
            std::int64_t now_ms) override {
    auto c = pool_.acquire();
    // Decision and backoff (the schedule of retry_backoff_ms) inside the statement, so both
    // see the one row they change.
    auto r = c->exec(
        std::string(
            "WITH upd AS (UPDATE reel_jobs SET error = $3, updated_ms = $4::bigint, "
            "lease_token = '', status = CASE WHEN $5::boolean AND attempts < max_attempts THEN "
            "'queued' ELSE 'failed' END, not_before_ms = CASE WHEN $5::boolean AND attempts < "
            "max_attempts THEN $4::bigint + LEAST(1000::bigint << LEAST(GREATEST(attempts - 1, "
            "0), 16), 60000) ELSE not_before_ms END, last_event_seq = last_event_seq + 1") +
            fence +
            " RETURNING id, status, attempts, not_before_ms, last_event_seq), logged AS (INSERT "
            "INTO reel_job_events (job_id, seq, type, data, at_ms) SELECT id, last_event_seq, "
            "CASE WHEN status = 'queued' THEN 'retrying' ELSE 'failed' END, CASE WHEN status = "
            "'queued' THEN json_build_object('attempt', attempts, 'error', $3::text, "
            "'not_before_ms', not_before_ms) ELSE json_build_object('attempt', attempts, "
            "'error', $3::text) END::text, $4::bigint FROM upd) SELECT count(*) FROM upd",
        {lease.job_id, lease.token, error, num(now_ms), retryable ? "true" : "false"});
    return r.int64(0, 0) > 0;
  }

  bool request_cancel(const std::string& id) override {
    auto c = pool_.acquire();
    // Both branches read one snapshot; a claim that commits in between makes both miss, so
    // go round again while the job is still unfinished.
    for (int round = 0; round < 5; ++round) {
      std::int64_t now_ms = store::wall_clock_ms();
      auto r = c->exec(
          "WITH q AS (UPDATE reel_jobs SET status = 'canceled', cancel_requested = true, "
          "updated_ms = $2::bigint, last_event_seq = last_event_seq + 1 WHERE id = $1 AND "
          "status = 'queued' RETURNING id, last_event_seq), logged AS (INSERT INTO "
          "reel_job_events (job_id, seq, type, data, at_ms) SELECT id, last_event_seq, "
          "'canceled', '{}', $2::bigint FROM q), r AS (UPDATE reel_jobs SET cancel_requested = "
          "true WHERE id = $1 AND status = 'running' RETURNING id) SELECT (SELECT count(*) FROM "
          "q) + (SELECT count(*) FROM r), (SELECT status FROM reel_jobs WHERE id = $1)",
          {id, num(now_ms)});
      if (r.int64(0, 0) > 0) return true;
      if (r.is_null(0, 1)) return false;
      std::string status = r.text(0, 1);
      if (status != "queued" && status != "running") return false;
    }
    return false;
  }

  bool mark_canceled(const Lease& lease) override {
    return finish(lease, "status = 'canceled'", "canceled", std::nullopt);
  }

  bool cancel_requested(const Lease& lease) override {
    auto c = pool_.acquire();
    auto r = c->exec(std::string("SELECT cancel_requested FROM reel_jobs") + fence,
                     {lease.job_id, lease.token});
    if (r.rows() == 0) return true;  // the lease is gone: the worker must stop
    return r.boolean(0, 0);
  }

  bool append_event(const Lease& lease, const std::string& type, const Json& data) override {
    if (type.empty())
      throw Error(ErrorKind::InvalidInput, "a job event needs a type (e.g. step, progress)");
    std::string text = store::dump_json(data, "event data");
    auto c = pool_.acquire();
    return c->exec(std::string("WITH upd AS (UPDATE reel_jobs SET last_event_seq = "
                               "last_event_seq + 1") +
                       fence +
                       " RETURNING id, last_event_seq) INSERT INTO reel_job_events (job_id, "
                       "seq, type, data, at_ms) SELECT id, last_event_seq, $3, $4, $5::bigint "
                       "FROM upd",
                   {lease.job_id, lease.token, type, text, num(store::wall_clock_ms())})
               .affected() > 0;
  }

  std::vector<JobEvent> events(const std::string& job_id, std::int64_t after_seq,
                               int limit) override {
    if (limit < 1) return {};
    auto c = pool_.acquire();
    auto r = c->exec(
        "SELECT seq, type, data, at_ms FROM reel_job_events WHERE job_id = $1 AND seq > "
        "$2::bigint ORDER BY seq LIMIT $3::int",
        {job_id, num(after_seq), num(limit)});
    std::vector<JobEvent> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(
          {r.int64(i, 0), r.text(i, 1), store::parse_json_column(r.text(i, 2)), r.int64(i, 3)});
    return out;
  }

 private:
  // A fenced final transition that logs one event. $3 is the optional text argument.
  bool finish(const Lease& lease, const char* set, const char* event,
              std::optional<std::string> arg) {
    auto c = pool_.acquire();
    std::string now = num(store::wall_clock_ms());
    std::string at = arg ? "$4::bigint" : "$3::bigint";
    std::vector<Param> params{lease.job_id, lease.token};
    if (arg) params.push_back(*arg);
    params.push_back(now);
    auto r = c->exec(std::string("WITH upd AS (UPDATE reel_jobs SET ") + set +
                         ", lease_token = '', updated_ms = GREATEST(updated_ms, " + at +
                         "), last_event_seq = last_event_seq + 1" + fence +
                         " RETURNING id, last_event_seq), logged AS (INSERT INTO "
                         "reel_job_events (job_id, seq, type, data, at_ms) SELECT id, "
                         "last_event_seq, '" +
                         event + "', '{}', " + at + " FROM upd) SELECT count(*) FROM upd",
                     params);
    return r.int64(0, 0) > 0;
  }

  pg::Pool pool_;
};

}  // namespace

std::unique_ptr<JobStore> open_postgres_job_store(const std::string& url) {
  return std::make_unique<PostgresJobStore>(url);
}

}  // namespace reel::server
