// The SQLite engine of the job queue: one file in WAL mode, shared by any number of
// threads (one connection per JobStore, guarded by a mutex) and processes (BEGIN IMMEDIATE
// serialises the writers). Every lease-holder write names the lease token in its WHERE
// clause, which is the fence: a handed-on job has a new token, so a late write matches no
// row and reports false.
#include <mutex>

#include "reel/core/error.hpp"
#include "reel/server/job_store.hpp"
#include "server/sqlite_db.hpp"
#include "server/store_util.hpp"

namespace reel::server {
namespace {

using sqlite::Db;
using sqlite::Stmt;
using sqlite::Transaction;

// 2: the event log and the per-key index. The version covers the whole file, which the
// key store shares (its tables are created idempotently, outside this number).
constexpr int schema_version = 2;

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- enqueue order: FIFO within a priority, list cursor
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
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  not_before_ms INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  cancel_requested INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  lease_token TEXT NOT NULL,
  lease_expires_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs(api_key_id, idempotency_key)
  WHERE idempotency_key <> '';
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(status, priority DESC, seq);
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs(status, lease_expires_ms);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs(api_key_id, seq);
CREATE INDEX IF NOT EXISTS jobs_key_status ON jobs(api_key_id, status);
CREATE TABLE IF NOT EXISTS job_events (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,  -- per job, from 1, gap-free
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
)sql";

constexpr const char* job_columns =
    "id, api_key_id, spec, priority, status, attempts, max_attempts, error, result, progress, "
    "created_ms, updated_ms, not_before_ms, idempotency_key, body_hash, cancel_requested, "
    "worker_id";

std::string select_jobs(const std::string& tail) {
  return std::string("SELECT ") + job_columns + " FROM jobs " + tail;
}

Job read_job(const Stmt& st) {
  Job j;
  j.id = st.text(0);
  j.api_key_id = st.text(1);
  j.spec = store::parse_json_column(st.text(2));
  j.priority = static_cast<int>(st.int64(3));
  j.status = parse_job_status(st.text(4));
  j.attempts = static_cast<int>(st.int64(5));
  j.max_attempts = static_cast<int>(st.int64(6));
  j.error = st.text(7);
  j.result = store::parse_json_column(st.text(8));
  j.progress = store::parse_json_column(st.text(9));
  j.created_ms = st.int64(10);
  j.updated_ms = st.int64(11);
  j.not_before_ms = st.int64(12);
  j.idempotency_key = st.text(13);
  j.body_hash = st.text(14);
  j.cancel_requested = st.int64(15) != 0;
  j.worker_id = st.text(16);
  return j;
}

// Every lease-holder statement matches only the running job that still carries the token
// (?1 = job id, ?2 = token).
std::string fenced(const char* head) {
  return std::string(head) +
         " WHERE id = ?1 AND lease_token = ?2 AND lease_token <> '' AND status = 'running'";
}

class SqliteJobStore final : public JobStore {
 public:
  explicit SqliteJobStore(const std::filesystem::path& file) : db_(file) {
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=NORMAL");  // WAL + NORMAL: durable across process crashes
    Transaction tx(db_);
    std::int64_t version = 0;
    {
      Stmt v(db_, "PRAGMA user_version");
      v.step();
      version = v.int64(0);
    }
    if (version > schema_version)
      throw Error(ErrorKind::Unsupported, "job store " + file.string() + " has schema version " +
                                              std::to_string(version) + "; this reel reads up to " +
                                              std::to_string(schema_version));
    db_.exec(schema_sql);
    db_.exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str());
    tx.commit();
  }

  std::pair<Job, bool> enqueue(Job job) override {
    store::prepare_for_enqueue(job);

    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    if (!job.idempotency_key.empty()) {
      Stmt st(db_, select_jobs("WHERE api_key_id = ?1 AND idempotency_key = ?2").c_str());
      st.bind(1, job.api_key_id).bind(2, job.idempotency_key);
      if (st.step()) {
        Job existing = read_job(st);
        if (existing.body_hash != job.body_hash)
          throw Error(ErrorKind::InvalidInput,
                      "idempotency key '" + job.idempotency_key +
                          "' reused with a different body; send the same body or a new key");
        return {existing, false};
      }
    }
    Stmt ins(db_,
             "INSERT INTO jobs (id, api_key_id, spec, priority, status, attempts, max_attempts, "
             "error, result, progress, created_ms, updated_ms, not_before_ms, idempotency_key, "
             "body_hash, cancel_requested, worker_id, lease_token, lease_expires_ms) VALUES "
             "(?1, ?2, ?3, ?4, 'queued', 0, ?5, '', 'null', 'null', ?6, ?6, ?7, ?8, ?9, 0, '', "
             "'', 0)");
    ins.bind(1, job.id)
        .bind(2, job.api_key_id)
        .bind(3, store::dump_json(job.spec, "spec"))
        .bind(4, job.priority)
        .bind(5, job.max_attempts)
        .bind(6, job.created_ms)
        .bind(7, job.not_before_ms)
        .bind(8, job.idempotency_key)
        .bind(9, job.body_hash);
    ins.step();
    add_event(job.id, "queued", Json{{"priority", job.priority}}, job.created_ms);
    tx.commit();
    return {job, true};
  }

  std::optional<Job> get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return get_locked(id);
  }

  std::optional<Job> find_idempotent(const std::string& api_key_id,
                                     const std::string& idempotency_key) override {
    if (idempotency_key.empty()) return std::nullopt;
    std::lock_guard lock(mutex_);
    Stmt st(db_, select_jobs("WHERE api_key_id = ?1 AND idempotency_key = ?2").c_str());
    st.bind(1, api_key_id).bind(2, idempotency_key);
    if (!st.step()) return std::nullopt;
    return read_job(st);
  }

  std::vector<Job> list(std::optional<JobStatus> status, const std::string& after_id_cursor,
                        int limit) override {
    if (limit < 1) return {};
    std::lock_guard lock(mutex_);
    // An unknown cursor pages from the start rather than failing: ids are opaque to clients.
    Stmt st(db_, select_jobs("WHERE (?1 = '' OR status = ?1) AND seq > COALESCE((SELECT seq "
                             "FROM jobs WHERE id = ?2), 0) ORDER BY seq LIMIT ?3")
                     .c_str());
    st.bind(1, status ? std::string(to_string(*status)) : std::string())
        .bind(2, after_id_cursor)
        .bind(3, limit);
    std::vector<Job> jobs;
    while (st.step()) jobs.push_back(read_job(st));
    return jobs;
  }

  std::vector<Job> list_for_key(const std::string& api_key_id, std::optional<JobStatus> status,
                                const std::string& after_id_cursor, int limit) override {
    if (limit < 1) return {};
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            select_jobs("WHERE api_key_id = ?4 AND (?1 = '' OR status = ?1) AND seq > "
                        "COALESCE((SELECT seq FROM jobs WHERE id = ?2 AND api_key_id = ?4), 0) "
                        "ORDER BY seq LIMIT ?3")
                .c_str());
    st.bind(1, status ? std::string(to_string(*status)) : std::string())
        .bind(2, after_id_cursor)
        .bind(3, limit)
        .bind(4, api_key_id);
    std::vector<Job> jobs;
    while (st.step()) jobs.push_back(read_job(st));
    return jobs;
  }

  int count_active(const std::string& api_key_id) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            "SELECT COUNT(*) FROM jobs WHERE api_key_id = ?1 AND status IN ('queued', 'running')");
    st.bind(1, api_key_id).step();
    return static_cast<int>(st.int64(0));
  }

  std::optional<std::pair<Job, Lease>> claim(const std::string& worker_id, std::int64_t lease_ms,
                                             std::int64_t now_ms) override {
    if (lease_ms <= 0)
      throw Error(ErrorKind::InvalidInput,
                  "lease of " + std::to_string(lease_ms) + " ms; it must be positive");
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    // Expired leases that cannot be handed on are settled first, so claim never revives a
    // job whose cancel was requested or whose attempts are spent.
    for (auto& id : expired_ids("cancel_requested <> 0", now_ms)) {
      Stmt cancel(db_,
                  "UPDATE jobs SET status = 'canceled', lease_token = '', updated_ms = ?2 "
                  "WHERE id = ?1");
      cancel.bind(1, id).bind(2, now_ms).step();
      add_event(id, "canceled", Json::object(), now_ms);
    }
    for (auto& id : expired_ids("attempts >= max_attempts", now_ms)) {
      Stmt exhaust(db_,
                   "UPDATE jobs SET status = 'failed', lease_token = '', updated_ms = ?2, error = "
                   "'lease expired on attempt ' || attempts || ' of ' || max_attempts || "
                   "' (worker ' || worker_id || ' stopped heartbeating); no attempts left' "
                   "WHERE id = ?1 RETURNING error");
      exhaust.bind(1, id).bind(2, now_ms);
      std::string error = exhaust.step() ? exhaust.text(0) : std::string();
      while (exhaust.step()) {
      }
      add_event(id, "failed", Json{{"error", error}}, now_ms);
    }

    // Two indexed lookups rather than one OR query, which would scan every finished job.
    auto best = [&](const char* sql) -> std::optional<std::pair<std::int64_t, std::int64_t>> {
      Stmt st(db_, sql);
      st.bind(1, now_ms);
      if (!st.step()) return std::nullopt;
      return std::pair{st.int64(0), st.int64(1)};  // priority, seq
    };
    auto queued = best(
        "SELECT priority, seq FROM jobs WHERE status = 'queued' AND not_before_ms <= ?1 "
        "ORDER BY priority DESC, seq LIMIT 1");
    auto expired = best(
        "SELECT priority, seq FROM jobs WHERE status = 'running' AND lease_expires_ms <= ?1 "
        "ORDER BY priority DESC, seq LIMIT 1");
    if (!queued && !expired) {
      tx.commit();
      return std::nullopt;
    }
    auto before = [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    };
    bool handed_on = !(!expired || (queued && before(*queued, *expired)));
    std::int64_t seq = (handed_on ? *expired : *queued).second;
    Lease lease;
    lease.token = store::random_hex(16);
    lease.expires_ms = now_ms + lease_ms;
    Stmt take(db_,
              "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_token = ?1, "
              "lease_expires_ms = ?2, worker_id = ?3, updated_ms = ?4 WHERE seq = ?5");
    take.bind(1, lease.token)
        .bind(2, lease.expires_ms)
        .bind(3, worker_id)
        .bind(4, now_ms)
        .bind(5, seq)
        .step();
    Stmt read(db_, select_jobs("WHERE seq = ?1").c_str());
    read.bind(1, seq);
    if (!read.step()) throw Error(ErrorKind::Internal, "job store: claimed job vanished");
    Job job = read_job(read);
    if (handed_on)
      add_event(job.id, "retrying", Json{{"attempt", job.attempts - 1}, {"error", "lease expired"}},
                now_ms);
    add_event(job.id, "started", Json{{"attempt", job.attempts}, {"worker_id", worker_id}}, now_ms);
    tx.commit();
    lease.job_id = job.id;
    lease.attempt = job.attempts;
    return std::pair{std::move(job), std::move(lease)};
  }

  bool heartbeat(const Lease& lease, std::int64_t lease_ms, std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_, fenced("UPDATE jobs SET lease_expires_ms = ?3, updated_ms = ?4 ").c_str());
    st.bind(1, lease.job_id).bind(2, lease.token).bind(3, now_ms + lease_ms).bind(4, now_ms);
    st.step();
    return db_.changes() > 0;
  }

  bool progress(const Lease& lease, const Json& progress) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_, fenced("UPDATE jobs SET progress = ?3 ").c_str());
    st.bind(1, lease.job_id).bind(2, lease.token).bind(3, store::dump_json(progress, "progress"));
    st.step();
    return db_.changes() > 0;
  }

  bool complete(const Lease& lease, const Json& result) override {
    std::lock_guard lock(mutex_);
    Stmt st(
        db_,
        fenced("UPDATE jobs SET status = 'succeeded', result = ?3, lease_token = '', error = '', "
               "updated_ms = MAX(updated_ms, ?4) ")
            .c_str());
    std::string result_text = store::dump_json(result, "result");
    std::int64_t now_ms = store::wall_clock_ms();
    Transaction tx(db_);
    st.bind(1, lease.job_id).bind(2, lease.token).bind(3, result_text).bind(4, now_ms);
    st.step();
    if (db_.changes() == 0) return false;
    add_event(lease.job_id, "succeeded", Json::object(), now_ms);
    tx.commit();
    return true;
  }

  bool fail(const Lease& lease, const std::string& error, bool retryable,
            std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    // The attempt count decides between retry and failure, and sets the backoff (the same
    // schedule as retry_backoff_ms), inside the statement, so decision and write see one row.
    Stmt st(
        db_,
        fenced("UPDATE jobs SET error = ?3, updated_ms = ?4, lease_token = '', "
               "status = CASE WHEN ?5 <> 0 AND attempts < max_attempts THEN 'queued' ELSE "
               "'failed' END, not_before_ms = CASE WHEN ?5 <> 0 AND attempts < max_attempts THEN "
               "?4 + MIN(1000 << MIN(MAX(attempts - 1, 0), 16), 60000) ELSE not_before_ms END ")
            .append(" RETURNING status, attempts, not_before_ms")
            .c_str());
    st.bind(1, lease.job_id)
        .bind(2, lease.token)
        .bind(3, error)
        .bind(4, now_ms)
        .bind(5, retryable ? 1 : 0);
    if (!st.step()) return false;
    bool requeued = st.text(0) == "queued";
    Json data{{"attempt", st.int64(1)}, {"error", error}};
    if (requeued) data["not_before_ms"] = st.int64(2);
    while (st.step()) {
    }
    add_event(lease.job_id, requeued ? "retrying" : "failed", data, now_ms);
    tx.commit();
    return true;
  }

  bool request_cancel(const std::string& id) override {
    std::lock_guard lock(mutex_);
    std::int64_t now_ms = store::wall_clock_ms();
    Transaction tx(db_);
    Stmt queued(db_,
                "UPDATE jobs SET status = 'canceled', cancel_requested = 1, updated_ms = ?2 "
                "WHERE id = ?1 AND status = 'queued'");
    queued.bind(1, id).bind(2, now_ms).step();
    bool changed = db_.changes() > 0;
    if (changed) {
      add_event(id, "canceled", Json::object(), now_ms);
    } else {
      Stmt running(db_,
                   "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'");
      running.bind(1, id).step();
      changed = db_.changes() > 0;
    }
    tx.commit();
    return changed;
  }

  bool mark_canceled(const Lease& lease) override {
    std::lock_guard lock(mutex_);
    std::int64_t now_ms = store::wall_clock_ms();
    Transaction tx(db_);
    Stmt st(db_, fenced("UPDATE jobs SET status = 'canceled', lease_token = '', updated_ms = "
                        "MAX(updated_ms, ?3) ")
                     .c_str());
    st.bind(1, lease.job_id).bind(2, lease.token).bind(3, now_ms).step();
    if (db_.changes() == 0) return false;
    add_event(lease.job_id, "canceled", Json::object(), now_ms);
    tx.commit();
    return true;
  }

  bool cancel_requested(const Lease& lease) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_, fenced("SELECT cancel_requested FROM jobs ").c_str());
    st.bind(1, lease.job_id).bind(2, lease.token);
    if (!st.step()) return true;  // the lease is gone: the worker must stop
    return st.int64(0) != 0;
  }

  bool append_event(const Lease& lease, const std::string& type, const Json& data) override {
    if (type.empty())
      throw Error(ErrorKind::InvalidInput, "a job event needs a type (e.g. step, progress)");
    std::string text = store::dump_json(data, "event data");
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    Stmt st(db_, fenced("SELECT 1 FROM jobs ").c_str());
    st.bind(1, lease.job_id).bind(2, lease.token);
    if (!st.step()) return false;
    add_event_text(lease.job_id, type, text, store::wall_clock_ms());
    tx.commit();
    return true;
  }

  std::vector<JobEvent> events(const std::string& job_id, std::int64_t after_seq,
                               int limit) override {
    if (limit < 1) return {};
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            "SELECT seq, type, data, at_ms FROM job_events WHERE job_id = ?1 AND seq > ?2 "
            "ORDER BY seq LIMIT ?3");
    st.bind(1, job_id).bind(2, after_seq).bind(3, limit);
    std::vector<JobEvent> out;
    while (st.step())
      out.push_back({st.int64(0), st.text(1), store::parse_json_column(st.text(2)), st.int64(3)});
    return out;
  }

 private:
  std::optional<Job> get_locked(const std::string& id) {
    Stmt st(db_, select_jobs("WHERE id = ?1").c_str());
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read_job(st);
  }

  // Inside the caller's write transaction, which makes seq gap-free per job.
  void add_event(const std::string& job_id, const char* type, const Json& data,
                 std::int64_t at_ms) {
    add_event_text(job_id, type, data.dump(), at_ms);
  }
  void add_event_text(const std::string& job_id, const std::string& type, const std::string& data,
                      std::int64_t at_ms) {
    Stmt st(db_,
            "INSERT INTO job_events (job_id, seq, type, data, at_ms) SELECT ?1, "
            "COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4 FROM job_events WHERE job_id = ?1");
    st.bind(1, job_id).bind(2, type).bind(3, data).bind(4, at_ms).step();
  }

  // Running jobs whose lease expired and that match the extra condition.
  std::vector<std::string> expired_ids(const char* condition, std::int64_t now_ms) {
    Stmt st(db_, (std::string("SELECT id FROM jobs WHERE status = 'running' AND "
                              "lease_expires_ms <= ?1 AND ") +
                  condition)
                     .c_str());
    st.bind(1, now_ms);
    std::vector<std::string> ids;
    while (st.step()) ids.push_back(st.text(0));
    return ids;
  }

  std::mutex mutex_;
  Db db_;
};

}  // namespace

std::unique_ptr<JobStore> open_sqlite_job_store(const std::filesystem::path& db_file) {
  return std::make_unique<SqliteJobStore>(db_file);
}

}  // namespace reel::server
