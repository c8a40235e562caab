// The SQLite engine of the job queue: one file in WAL mode, shared by any number of
// threads (one connection per JobStore, guarded by a mutex) and processes (BEGIN IMMEDIATE
// serialises the writers). Every lease-holder write names the lease token in its WHERE
// clause, which is the fence: a handed-on job has a new token, so a late write matches no
// row and reports false.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

#include "reel/core/error.hpp"
#include "reel/server/job_store.hpp"
#include "server/sqlite_db.hpp"

namespace reel::server {
namespace {

using sqlite::Db;
using sqlite::Stmt;
using sqlite::Transaction;

constexpr int schema_version = 1;

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
)sql";

constexpr const char* job_columns =
    "id, api_key_id, spec, priority, status, attempts, max_attempts, error, result, progress, "
    "created_ms, updated_ms, not_before_ms, idempotency_key, body_hash, cancel_requested, "
    "worker_id";

std::string select_jobs(const std::string& tail) {
  return std::string("SELECT ") + job_columns + " FROM jobs " + tail;
}

Json parse_column(const std::string& text) {
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

Job read_job(const Stmt& st) {
  Job j;
  j.id = st.text(0);
  j.api_key_id = st.text(1);
  j.spec = parse_column(st.text(2));
  j.priority = static_cast<int>(st.int64(3));
  j.status = parse_job_status(st.text(4));
  j.attempts = static_cast<int>(st.int64(5));
  j.max_attempts = static_cast<int>(st.int64(6));
  j.error = st.text(7);
  j.result = parse_column(st.text(8));
  j.progress = parse_column(st.text(9));
  j.created_ms = st.int64(10);
  j.updated_ms = st.int64(11);
  j.not_before_ms = st.int64(12);
  j.idempotency_key = st.text(13);
  j.body_hash = st.text(14);
  j.cancel_requested = st.int64(15) != 0;
  j.worker_id = st.text(16);
  return j;
}

// A document that cannot be stored as text (a string that is not UTF-8) is the caller's
// input error, not a crash.
std::string dump_json(const Json& j, const char* what) {
  try {
    return j.dump();
  } catch (const Json::exception& e) {
    throw Error(ErrorKind::InvalidInput, std::string("job ") + what + " is not storable JSON (" +
                                             e.what() + "); strings must be UTF-8");
  }
}

// 128 random bits as 32 lowercase hex digits (job ids and lease tokens).
std::string random_hex128() {
  static std::mutex mutex;
  static std::random_device device;
  std::uint32_t words[4];
  {
    std::lock_guard lock(mutex);
    for (auto& w : words) w = device();
  }
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", words[0], words[1], words[2], words[3]);
  return buf;
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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
    if (job.max_attempts < 1)
      throw Error(
          ErrorKind::InvalidInput,
          "job max_attempts is " + std::to_string(job.max_attempts) + "; it must be at least 1");
    if (job.id.empty()) job.id = random_hex128();
    if (job.created_ms == 0) job.created_ms = wall_clock_ms();
    job.updated_ms = job.created_ms;
    job.status = JobStatus::queued;
    job.attempts = 0;
    job.error.clear();
    job.result = nullptr;
    job.progress = nullptr;
    job.cancel_requested = false;
    job.worker_id.clear();

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
        .bind(3, dump_json(job.spec, "spec"))
        .bind(4, job.priority)
        .bind(5, job.max_attempts)
        .bind(6, job.created_ms)
        .bind(7, job.not_before_ms)
        .bind(8, job.idempotency_key)
        .bind(9, job.body_hash);
    ins.step();
    tx.commit();
    return {job, true};
  }

  std::optional<Job> get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return get_locked(id);
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

  std::optional<std::pair<Job, Lease>> claim(const std::string& worker_id, std::int64_t lease_ms,
                                             std::int64_t now_ms) override {
    if (lease_ms <= 0)
      throw Error(ErrorKind::InvalidInput,
                  "lease of " + std::to_string(lease_ms) + " ms; it must be positive");
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    // Expired leases that cannot be handed on are settled first, so claim never revives a
    // job whose cancel was requested or whose attempts are spent.
    Stmt cancel(db_,
                "UPDATE jobs SET status = 'canceled', lease_token = '', updated_ms = ?1 "
                "WHERE status = 'running' AND lease_expires_ms <= ?1 AND cancel_requested <> 0");
    cancel.bind(1, now_ms).step();
    Stmt exhaust(db_,
                 "UPDATE jobs SET status = 'failed', lease_token = '', updated_ms = ?1, error = "
                 "'lease expired on attempt ' || attempts || ' of ' || max_attempts || "
                 "' (worker ' || worker_id || ' stopped heartbeating); no attempts left' "
                 "WHERE status = 'running' AND lease_expires_ms <= ?1 AND attempts >= "
                 "max_attempts");
    exhaust.bind(1, now_ms).step();

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
    std::int64_t seq =
        (!expired || (queued && before(*queued, *expired)) ? *queued : *expired).second;
    Lease lease;
    lease.token = random_hex128();
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
    st.bind(1, lease.job_id).bind(2, lease.token).bind(3, dump_json(progress, "progress"));
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
    st.bind(1, lease.job_id)
        .bind(2, lease.token)
        .bind(3, dump_json(result, "result"))
        .bind(4, wall_clock_ms());
    st.step();
    return db_.changes() > 0;
  }

  bool fail(const Lease& lease, const std::string& error, bool retryable,
            std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    // The attempt count decides between retry and failure, and sets the backoff (the same
    // schedule as retry_backoff_ms), inside the statement, so decision and write see one row.
    Stmt st(
        db_,
        fenced("UPDATE jobs SET error = ?3, updated_ms = ?4, lease_token = '', "
               "status = CASE WHEN ?5 <> 0 AND attempts < max_attempts THEN 'queued' ELSE "
               "'failed' END, not_before_ms = CASE WHEN ?5 <> 0 AND attempts < max_attempts THEN "
               "?4 + MIN(1000 << MIN(MAX(attempts - 1, 0), 16), 60000) ELSE not_before_ms END ")
            .c_str());
    st.bind(1, lease.job_id)
        .bind(2, lease.token)
        .bind(3, error)
        .bind(4, now_ms)
        .bind(5, retryable ? 1 : 0);
    st.step();
    return db_.changes() > 0;
  }

  bool request_cancel(const std::string& id) override {
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    Stmt queued(db_,
                "UPDATE jobs SET status = 'canceled', cancel_requested = 1, updated_ms = ?2 "
                "WHERE id = ?1 AND status = 'queued'");
    queued.bind(1, id).bind(2, wall_clock_ms()).step();
    bool changed = db_.changes() > 0;
    if (!changed) {
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
    Stmt st(db_, fenced("UPDATE jobs SET status = 'canceled', lease_token = '' ").c_str());
    st.bind(1, lease.job_id).bind(2, lease.token).step();
    return db_.changes() > 0;
  }

  bool cancel_requested(const Lease& lease) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_, fenced("SELECT cancel_requested FROM jobs ").c_str());
    st.bind(1, lease.job_id).bind(2, lease.token);
    if (!st.step()) return true;  // the lease is gone: the worker must stop
    return st.int64(0) != 0;
  }

 private:
  std::optional<Job> get_locked(const std::string& id) {
    Stmt st(db_, select_jobs("WHERE id = ?1").c_str());
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read_job(st);
  }

  std::mutex mutex_;
  Db db_;
};

}  // namespace

std::unique_ptr<JobStore> open_sqlite_job_store(const std::filesystem::path& db_file) {
  return std::make_unique<SqliteJobStore>(db_file);
}

}  // namespace reel::server
