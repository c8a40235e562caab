// The SQLite engine of the key store: its own tables in the job store's file (same WAL
// settings), one connection per KeyStore guarded by a mutex. Admission reads the key's
// spend and reservations and inserts the new reservation inside one BEGIN IMMEDIATE
// transaction, which serialises every writer of the file: no two admits can both see
// room for the same last dollar; settling reads the room left the same way. Every change
// to a key writes its audit row in the transaction that makes it.
#include <mutex>

#include "reel/core/error.hpp"
#include "reel/server/stores.hpp"
#include "server/sqlite_db.hpp"
#include "server/store_util.hpp"

namespace reel::server {
namespace {

using sqlite::Db;
using sqlite::Stmt;
using sqlite::Transaction;

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,        -- SHA-256 hex of the whole secret
  budget_nanos INTEGER NOT NULL,   -- < 0: unlimited
  max_concurrent INTEGER NOT NULL,
  rate_per_minute INTEGER NOT NULL,
  max_width INTEGER NOT NULL,
  max_height INTEGER NOT NULL,
  max_frames INTEGER NOT NULL,
  max_duration_s REAL NOT NULL,
  revoked INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  policy TEXT NOT NULL DEFAULT ''   -- the jobs' default licence policy; '' = none
);
-- One row per admitted job: reserved, then settled (a ledger entry) or released.
CREATE TABLE IF NOT EXISTS key_charges (
  job_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  state TEXT NOT NULL,              -- reserved | settled | released
  reserved_nanos INTEGER NOT NULL,
  actual_nanos INTEGER NOT NULL,     -- settled: what was charged
  updated_ms INTEGER NOT NULL,
  absorbed_nanos INTEGER NOT NULL DEFAULT 0  -- settled: measured beyond the charge
);
CREATE INDEX IF NOT EXISTS key_charges_key ON key_charges(key_id, state);
-- Who changed which key when, and how (never a secret).
CREATE TABLE IF NOT EXISTS key_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS key_audit_key ON key_audit(key_id, seq);
-- Uploads per key (counted, not charged).
CREATE TABLE IF NOT EXISTS key_uploads (
  key_id TEXT PRIMARY KEY,
  uploads INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  pixels INTEGER NOT NULL
);
)sql";

// Columns added after the first release: a file written by an older reel gets them in
// place when opened (the tables are CREATE IF NOT EXISTS, so they would not).
constexpr std::pair<const char*, const char*> added_columns[] = {
    {"api_keys", "policy TEXT NOT NULL DEFAULT ''"},
    {"key_charges", "absorbed_nanos INTEGER NOT NULL DEFAULT 0"},
};

bool has_column(Db& db, const std::string& table, const std::string& column) {
  Stmt st(db, ("PRAGMA table_info(" + table + ")").c_str());
  while (st.step())
    if (st.text(1) == column) return true;
  return false;
}

constexpr const char* key_columns =
    "k.id, k.name, k.budget_nanos, k.max_concurrent, k.rate_per_minute, k.max_width, "
    "k.max_height, k.max_frames, k.max_duration_s, k.revoked, k.created_ms, "
    "(SELECT COALESCE(SUM(actual_nanos), 0) FROM key_charges WHERE key_id = k.id AND state = "
    "'settled'), (SELECT COALESCE(SUM(reserved_nanos), 0) FROM key_charges WHERE key_id = k.id "
    "AND state = 'reserved'), k.secret_hash, k.policy";

ApiKey read_key(const Stmt& st) {
  ApiKey k;
  k.id = st.text(0);
  k.name = st.text(1);
  std::int64_t budget = st.int64(2);
  k.budget_usd = budget < 0 ? -1 : store::from_nanos(budget);
  k.max_concurrent = static_cast<int>(st.int64(3));
  k.rate_per_minute = static_cast<int>(st.int64(4));
  k.max_width = static_cast<int>(st.int64(5));
  k.max_height = static_cast<int>(st.int64(6));
  k.max_frames = static_cast<int>(st.int64(7));
  k.max_duration_s = st.real(8);
  k.revoked = st.int64(9) != 0;
  k.created_ms = st.int64(10);
  k.spent_usd = store::from_nanos(st.int64(11));
  k.reserved_usd = store::from_nanos(st.int64(12));
  k.policy = st.text(14);
  return k;
}

class SqliteKeyStore final : public KeyStore {
 public:
  explicit SqliteKeyStore(const std::filesystem::path& file) : db_(file) {
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=NORMAL");
    Transaction tx(db_);
    db_.exec(schema_sql);
    for (const auto& [table, column] : added_columns) {
      const std::string name = std::string(column).substr(0, std::string(column).find(' '));
      if (!has_column(db_, table, name))
        db_.exec((std::string("ALTER TABLE ") + table + " ADD COLUMN " + column).c_str());
    }
    tx.commit();
    actor_ = store::default_actor();
  }

  std::pair<ApiKey, std::string> create(ApiKey spec) override {
    store::validate_key_spec(spec);
    auto secret = store::new_key_secret();
    spec.id = secret.key_id;
    spec.created_ms = store::wall_clock_ms();
    spec.revoked = false;
    spec.spent_usd = spec.reserved_usd = 0;
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    Stmt st(db_,
            "INSERT INTO api_keys (id, name, secret_hash, budget_nanos, max_concurrent, "
            "rate_per_minute, max_width, max_height, max_frames, max_duration_s, revoked, "
            "created_ms, policy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, ?12)");
    st.bind(1, spec.id)
        .bind(2, spec.name)
        .bind(3, secret.hash_hex)
        .bind(4, spec.budget_usd < 0 ? std::int64_t{-1} : store::to_nanos(spec.budget_usd))
        .bind(5, spec.max_concurrent)
        .bind(6, spec.rate_per_minute)
        .bind(7, spec.max_width)
        .bind(8, spec.max_height)
        .bind(9, spec.max_frames)
        .bind(10, spec.max_duration_s)
        .bind(11, spec.created_ms)
        .bind(12, spec.policy)
        .step();
    if (spec.budget_usd < 0) spec.budget_usd = -1;
    write_audit(spec.id, "created", key_json(spec));
    tx.commit();
    return {spec, secret.secret};
  }

  std::optional<ApiKey> authenticate(std::string_view secret) override {
    auto id = store::key_id_of_secret(secret);
    if (!id) return std::nullopt;
    std::string hash = store::hash_secret(secret);
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            (std::string("SELECT ") + key_columns + " FROM api_keys k WHERE k.id = ?1").c_str());
    st.bind(1, *id);
    if (!st.step()) return std::nullopt;
    if (!store::same_digest(st.text(13), hash)) return std::nullopt;
    return read_key(st);
  }

  std::optional<ApiKey> get(const std::string& key_id) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            (std::string("SELECT ") + key_columns + " FROM api_keys k WHERE k.id = ?1").c_str());
    st.bind(1, key_id);
    if (!st.step()) return std::nullopt;
    return read_key(st);
  }

  std::vector<ApiKey> list() override {
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            (std::string("SELECT ") + key_columns + " FROM api_keys k ORDER BY k.created_ms, k.id")
                .c_str());
    std::vector<ApiKey> keys;
    while (st.step()) keys.push_back(read_key(st));
    return keys;
  }

  bool revoke(const std::string& key_id) override {
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    Stmt st(db_, "UPDATE api_keys SET revoked = 1 WHERE id = ?1 AND revoked = 0");
    st.bind(1, key_id).step();
    if (db_.changes() == 0) return false;
    write_audit(key_id, "revoked", Json::object());
    tx.commit();
    return true;
  }

  ApiKey update(const std::string& key_id, const KeyUpdate& change) override {
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    const ApiKey before = [&] {
      Stmt get(db_,
               (std::string("SELECT ") + key_columns + " FROM api_keys k WHERE k.id = ?1").c_str());
      get.bind(1, key_id);
      if (!get.step()) throw Error(ErrorKind::NotFound, "no API key '" + key_id + "'");
      return read_key(get);
    }();
    const ApiKey after = store::apply_key_update(before, change);
    Stmt st(db_,
            "UPDATE api_keys SET budget_nanos = ?2, policy = ?3, max_concurrent = ?4, "
            "rate_per_minute = ?5 WHERE id = ?1");
    st.bind(1, key_id)
        .bind(2, after.budget_usd < 0 ? std::int64_t{-1} : store::to_nanos(after.budget_usd))
        .bind(3, after.policy)
        .bind(4, after.max_concurrent)
        .bind(5, after.rate_per_minute)
        .step();
    const Json changes = store::key_changes_json(before, after);
    if (!changes.empty()) write_audit(key_id, "updated", changes);
    tx.commit();
    return after;
  }

  std::vector<AuditEntry> audit(const std::string& key_id, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            "SELECT seq, at_ms, key_id, action, actor, detail FROM key_audit WHERE ?1 = '' OR "
            "key_id = ?1 ORDER BY seq LIMIT ?2");
    st.bind(1, key_id).bind(2, static_cast<std::int64_t>(limit));
    std::vector<AuditEntry> out;
    while (st.step())
      out.push_back({st.int64(0), st.int64(1), st.text(2), st.text(3), st.text(4),
                     store::parse_json_column(st.text(5))});
    return out;
  }

  Admission admit(const std::string& key_id, const std::string& job_id,
                  double estimate_usd) override {
    std::int64_t estimate = store::checked_charge(estimate_usd);
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    Stmt key(db_,
             "SELECT k.revoked, k.budget_nanos, (SELECT COALESCE(SUM(CASE state WHEN 'settled' "
             "THEN actual_nanos WHEN 'reserved' THEN reserved_nanos ELSE 0 END), 0) FROM "
             "key_charges WHERE key_id = k.id) FROM api_keys k WHERE k.id = ?1");
    key.bind(1, key_id);
    if (!key.step()) return Admission::unknown_key;
    if (key.int64(0) != 0) return Admission::revoked;
    std::int64_t budget = key.int64(1), committed = key.int64(2);
    {
      Stmt seen(db_, "SELECT key_id FROM key_charges WHERE job_id = ?1");
      seen.bind(1, job_id);
      if (seen.step()) {
        if (seen.text(0) != key_id)
          throw Error(ErrorKind::InvalidInput,
                      "job " + job_id + " was admitted under another API key");
        return Admission::admitted;
      }
    }
    if (budget >= 0 && committed + estimate > budget) return Admission::over_budget;
    Stmt ins(db_,
             "INSERT INTO key_charges (job_id, key_id, state, reserved_nanos, actual_nanos, "
             "updated_ms) VALUES (?1, ?2, 'reserved', ?3, 0, ?4)");
    ins.bind(1, job_id).bind(2, key_id).bind(3, estimate).bind(4, store::wall_clock_ms()).step();
    tx.commit();
    return Admission::admitted;
  }

  bool settle(const std::string& job_id, double actual_usd) override {
    std::int64_t actual = store::checked_charge(actual_usd);
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    const std::optional<std::int64_t> charge = [&]() -> std::optional<std::int64_t> {
      Stmt row(db_,
               "SELECT c.reserved_nanos, k.budget_nanos, (SELECT COALESCE(SUM(CASE o.state WHEN "
               "'settled' THEN o.actual_nanos WHEN 'reserved' THEN o.reserved_nanos ELSE 0 END), "
               "0) FROM key_charges o WHERE o.key_id = c.key_id AND o.job_id <> c.job_id) FROM "
               "key_charges c JOIN api_keys k ON k.id = c.key_id WHERE c.job_id = ?1 AND "
               "c.state = 'reserved'");
      row.bind(1, job_id);
      if (!row.step()) return std::nullopt;
      return store::capped_charge(actual, row.int64(0), row.int64(1), row.int64(2));
    }();
    if (!charge) return false;
    Stmt st(db_,
            "UPDATE key_charges SET state = 'settled', actual_nanos = ?2, absorbed_nanos = ?3, "
            "updated_ms = ?4 WHERE job_id = ?1 AND state = 'reserved'");
    st.bind(1, job_id).bind(2, *charge).bind(3, actual - *charge).bind(4, store::wall_clock_ms());
    st.step();
    const bool changed = db_.changes() > 0;
    tx.commit();
    return changed;
  }

  std::optional<JobCharge> charge(const std::string& job_id) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            "SELECT c.key_id, c.state, c.reserved_nanos, c.actual_nanos, c.absorbed_nanos, "
            "k.budget_nanos, k.revoked FROM key_charges c JOIN api_keys k ON k.id = c.key_id WHERE "
            "c.job_id = ?1");
    st.bind(1, job_id);
    if (!st.step()) return std::nullopt;
    return store::job_charge(st.text(0), st.text(1), st.int64(2), st.int64(3), st.int64(4),
                             st.int64(5), st.int64(6) != 0);
  }

  bool release(const std::string& job_id) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            "UPDATE key_charges SET state = 'released', updated_ms = ?2 "
            "WHERE job_id = ?1 AND state = 'reserved'");
    st.bind(1, job_id).bind(2, store::wall_clock_ms()).step();
    return db_.changes() > 0;
  }

  std::vector<std::string> reserved_jobs(std::int64_t reserved_before_ms,
                                         std::size_t limit) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            "SELECT job_id FROM key_charges WHERE state = 'reserved' AND updated_ms < ?1 "
            "ORDER BY updated_ms LIMIT ?2");
    st.bind(1, reserved_before_ms).bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::string> ids;
    while (st.step()) ids.push_back(st.text(0));
    return ids;
  }

  Usage usage(const std::string& key_id) override {
    std::lock_guard lock(mutex_);
    Stmt key(db_, "SELECT budget_nanos FROM api_keys WHERE id = ?1");
    key.bind(1, key_id);
    if (!key.step()) throw Error(ErrorKind::NotFound, "no API key " + key_id);
    Usage u;
    u.key_id = key_id;
    std::int64_t budget = key.int64(0);
    u.budget_usd = budget < 0 ? -1 : store::from_nanos(budget);
    Stmt st(db_,
            "SELECT COALESCE(SUM(CASE WHEN state = 'settled' THEN actual_nanos END), 0), "
            "COALESCE(SUM(CASE WHEN state = 'reserved' THEN reserved_nanos END), 0), "
            "COUNT(CASE WHEN state = 'settled' THEN 1 END), "
            "COUNT(CASE WHEN state = 'reserved' THEN 1 END), "
            "COALESCE(SUM(CASE WHEN state = 'settled' THEN absorbed_nanos END), 0), "
            "COUNT(CASE WHEN state = 'settled' AND absorbed_nanos > 0 THEN 1 END) "
            "FROM key_charges WHERE key_id = ?1");
    st.bind(1, key_id).step();
    u.spent_usd = store::from_nanos(st.int64(0));
    u.reserved_usd = store::from_nanos(st.int64(1));
    u.jobs_settled = static_cast<int>(st.int64(2));
    u.jobs_reserved = static_cast<int>(st.int64(3));
    u.absorbed_usd = store::from_nanos(st.int64(4));
    u.jobs_capped = static_cast<int>(st.int64(5));
    Stmt up(db_, "SELECT uploads, bytes, pixels FROM key_uploads WHERE key_id = ?1");
    if (up.bind(1, key_id).step()) {
      u.uploads = up.int64(0);
      u.upload_bytes = up.int64(1);
      u.upload_pixels = up.int64(2);
    }
    return u;
  }

  void record_upload(const std::string& key_id, std::int64_t bytes, std::int64_t pixels) override {
    std::lock_guard lock(mutex_);
    Stmt st(db_,
            "INSERT INTO key_uploads (key_id, uploads, bytes, pixels) VALUES (?1, 1, ?2, ?3) "
            "ON CONFLICT(key_id) DO UPDATE SET uploads = uploads + 1, bytes = bytes + ?2, "
            "pixels = pixels + ?3");
    st.bind(1, key_id).bind(2, bytes).bind(3, pixels).step();
  }

 private:
  // Inside the caller's transaction, so a change and its audit row commit together.
  void write_audit(const std::string& key_id, const char* action, const Json& detail) {
    Stmt st(db_,
            "INSERT INTO key_audit (at_ms, key_id, action, actor, detail) VALUES (?1, ?2, ?3, "
            "?4, ?5)");
    st.bind(1, store::wall_clock_ms())
        .bind(2, key_id)
        .bind(3, std::string(action))
        .bind(4, actor_)
        .bind(5, detail.dump())
        .step();
  }

  std::mutex mutex_;
  Db db_;
};

}  // namespace

std::unique_ptr<KeyStore> open_sqlite_key_store(const std::filesystem::path& db_file) {
  return std::make_unique<SqliteKeyStore>(db_file);
}

}  // namespace reel::server
