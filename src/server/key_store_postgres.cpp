// The PostgreSQL engine of the key store. Admission locks the key's row (SELECT ... FOR
// UPDATE) for one short transaction, so concurrent admits for one key — from any number of
// connections and machines — queue up on that row and each sees the reservations committed
// before it: the budget is never overspent. Settle and release are single conditional
// UPDATEs on the job's charge row, so each happens at most once; settle first locks the
// key's row too (as admit does), so the room it caps the charge to is current. Every change
// to a key writes its audit row in the same transaction.
#include <mutex>

#include "reel/core/error.hpp"
#include "reel/server/stores.hpp"
#include "server/pg_db.hpp"
#include "server/pg_schema.hpp"
#include "server/store_util.hpp"

namespace reel::server {
namespace {

constexpr const char* key_columns =
    "k.id, k.name, k.budget_nanos, k.max_concurrent, k.rate_per_minute, k.max_width, "
    "k.max_height, k.max_frames, k.max_duration_s, k.revoked, k.created_ms, "
    "(SELECT COALESCE(SUM(actual_nanos), 0) FROM reel_key_charges WHERE key_id = k.id AND "
    "state = 'settled'), (SELECT COALESCE(SUM(reserved_nanos), 0) FROM reel_key_charges WHERE "
    "key_id = k.id AND state = 'reserved'), k.secret_hash, k.policy";

std::string select_keys(const std::string& tail) {
  return std::string("SELECT ") + key_columns + " FROM reel_api_keys k " + tail;
}

ApiKey read_key(const pg::Result& r, int row) {
  ApiKey k;
  k.id = r.text(row, 0);
  k.name = r.text(row, 1);
  std::int64_t budget = r.int64(row, 2);
  k.budget_usd = budget < 0 ? -1 : store::from_nanos(budget);
  k.max_concurrent = static_cast<int>(r.int64(row, 3));
  k.rate_per_minute = static_cast<int>(r.int64(row, 4));
  k.max_width = static_cast<int>(r.int64(row, 5));
  k.max_height = static_cast<int>(r.int64(row, 6));
  k.max_frames = static_cast<int>(r.int64(row, 7));
  k.max_duration_s = r.real(row, 8);
  k.revoked = r.boolean(row, 9);
  k.created_ms = r.int64(row, 10);
  k.spent_usd = store::from_nanos(r.int64(row, 11));
  k.reserved_usd = store::from_nanos(r.int64(row, 12));
  k.policy = r.text(row, 14);
  return k;
}

std::string num(std::int64_t v) {
  return std::to_string(v);
}

// Shortest text that reads back as the same double.
std::string real(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

class PostgresKeyStore final : public KeyStore {
 public:
  explicit PostgresKeyStore(const std::string& url) : pool_(url) {
    auto c = pool_.acquire();
    pg::ensure_schema(*c);
    actor_ = store::default_actor();
  }

  std::pair<ApiKey, std::string> create(ApiKey spec) override {
    store::validate_key_spec(spec);
    auto secret = store::new_key_secret();
    spec.id = secret.key_id;
    spec.created_ms = store::wall_clock_ms();
    spec.revoked = false;
    spec.spent_usd = spec.reserved_usd = 0;
    if (spec.budget_usd < 0) spec.budget_usd = -1;
    auto c = pool_.acquire();
    pg::Transaction tx(*c);
    c->exec(
        "INSERT INTO reel_api_keys (id, name, secret_hash, budget_nanos, max_concurrent, "
        "rate_per_minute, max_width, max_height, max_frames, max_duration_s, revoked, "
        "created_ms, policy) VALUES ($1, $2, $3, $4::bigint, $5::int, $6::int, $7::int, "
        "$8::int, $9::int, $10::float8, false, $11::bigint, $12)",
        {spec.id, spec.name, secret.hash_hex,
         num(spec.budget_usd < 0 ? -1 : store::to_nanos(spec.budget_usd)), num(spec.max_concurrent),
         num(spec.rate_per_minute), num(spec.max_width), num(spec.max_height), num(spec.max_frames),
         real(spec.max_duration_s), num(spec.created_ms), spec.policy});
    write_audit(*c, spec.id, "created", key_json(spec));
    tx.commit();
    return {spec, secret.secret};
  }

  std::optional<ApiKey> authenticate(std::string_view secret) override {
    auto id = store::key_id_of_secret(secret);
    if (!id) return std::nullopt;
    std::string hash = store::hash_secret(secret);
    auto c = pool_.acquire();
    auto r = c->exec(select_keys("WHERE k.id = $1"), {*id});
    if (r.rows() == 0 || !store::same_digest(r.text(0, 13), hash)) return std::nullopt;
    return read_key(r, 0);
  }

  std::optional<ApiKey> get(const std::string& key_id) override {
    auto c = pool_.acquire();
    auto r = c->exec(select_keys("WHERE k.id = $1"), {key_id});
    if (r.rows() == 0) return std::nullopt;
    return read_key(r, 0);
  }

  std::vector<ApiKey> list() override {
    auto c = pool_.acquire();
    auto r = c->exec(select_keys("ORDER BY k.created_ms, k.id"));
    std::vector<ApiKey> keys;
    for (int i = 0; i < r.rows(); ++i) keys.push_back(read_key(r, i));
    return keys;
  }

  bool revoke(const std::string& key_id) override {
    auto c = pool_.acquire();
    pg::Transaction tx(*c);
    if (c->exec("UPDATE reel_api_keys SET revoked = true WHERE id = $1 AND NOT revoked", {key_id})
            .affected() == 0)
      return false;
    write_audit(*c, key_id, "revoked", Json::object());
    tx.commit();
    return true;
  }

  ApiKey update(const std::string& key_id, const KeyUpdate& change) override {
    auto c = pool_.acquire();
    pg::Transaction tx(*c);
    auto r = c->exec(select_keys("WHERE k.id = $1 FOR UPDATE OF k"), {key_id});
    if (r.rows() == 0) throw Error(ErrorKind::NotFound, "no API key '" + key_id + "'");
    const ApiKey before = read_key(r, 0);
    const ApiKey after = store::apply_key_update(before, change);
    c->exec(
        "UPDATE reel_api_keys SET budget_nanos = $2::bigint, policy = $3, max_concurrent = "
        "$4::int, rate_per_minute = $5::int WHERE id = $1",
        {key_id, num(after.budget_usd < 0 ? -1 : store::to_nanos(after.budget_usd)), after.policy,
         num(after.max_concurrent), num(after.rate_per_minute)});
    const Json changes = store::key_changes_json(before, after);
    if (!changes.empty()) write_audit(*c, key_id, "updated", changes);
    tx.commit();
    return after;
  }

  std::vector<AuditEntry> audit(const std::string& key_id, std::size_t limit) override {
    auto c = pool_.acquire();
    auto r = c->exec(
        "SELECT seq, at_ms, key_id, action, actor, detail FROM reel_key_audit WHERE $1 = '' OR "
        "key_id = $1 ORDER BY seq LIMIT $2::bigint",
        {key_id, num(static_cast<std::int64_t>(limit))});
    std::vector<AuditEntry> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.int64(i, 0), r.int64(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4),
                     store::parse_json_column(r.text(i, 5))});
    return out;
  }

  Admission admit(const std::string& key_id, const std::string& job_id,
                  double estimate_usd) override {
    std::int64_t estimate = store::checked_charge(estimate_usd);
    auto c = pool_.acquire();
    pg::Transaction tx(*c);
    auto key = c->exec("SELECT revoked, budget_nanos FROM reel_api_keys WHERE id = $1 FOR UPDATE",
                       {key_id});
    if (key.rows() == 0) return Admission::unknown_key;
    if (key.boolean(0, 0)) return Admission::revoked;
    std::int64_t budget = key.int64(0, 1);
    auto seen = c->exec("SELECT key_id FROM reel_key_charges WHERE job_id = $1", {job_id});
    if (seen.rows() > 0) {
      if (seen.text(0, 0) != key_id)
        throw Error(ErrorKind::InvalidInput,
                    "job " + job_id + " was admitted under another API key");
      return Admission::admitted;
    }
    if (budget >= 0) {
      auto committed = c->exec(
          "SELECT COALESCE(SUM(CASE state WHEN 'settled' THEN actual_nanos WHEN 'reserved' "
          "THEN reserved_nanos ELSE 0 END), 0) FROM reel_key_charges WHERE key_id = $1",
          {key_id});
      if (committed.int64(0, 0) + estimate > budget) return Admission::over_budget;
    }
    c->exec(
        "INSERT INTO reel_key_charges (job_id, key_id, state, reserved_nanos, actual_nanos, "
        "updated_ms) VALUES ($1, $2, 'reserved', $3::bigint, 0, $4::bigint)",
        {job_id, key_id, num(estimate), num(store::wall_clock_ms())});
    tx.commit();
    return Admission::admitted;
  }

  bool settle(const std::string& job_id, double actual_usd) override {
    std::int64_t actual = store::checked_charge(actual_usd);
    auto c = pool_.acquire();
    auto owner = c->exec("SELECT key_id FROM reel_key_charges WHERE job_id = $1", {job_id});
    if (owner.rows() == 0) return false;
    const std::string key_id = owner.text(0, 0);
    pg::Transaction tx(*c);
    // The key's row first, as admit locks it: the room read below cannot change under us.
    auto key = c->exec("SELECT budget_nanos FROM reel_api_keys WHERE id = $1 FOR UPDATE", {key_id});
    auto row = c->exec(
        "SELECT reserved_nanos, (SELECT COALESCE(SUM(CASE o.state WHEN 'settled' THEN "
        "o.actual_nanos WHEN 'reserved' THEN o.reserved_nanos ELSE 0 END), 0) FROM "
        "reel_key_charges o WHERE o.key_id = $2 AND o.job_id <> $1) FROM reel_key_charges WHERE "
        "job_id = $1 AND state = 'reserved' FOR UPDATE",
        {job_id, key_id});
    if (row.rows() == 0) return false;
    const std::int64_t budget = key.rows() > 0 ? key.int64(0, 0) : -1;
    const std::int64_t charge =
        store::capped_charge(actual, row.int64(0, 0), budget, row.int64(0, 1));
    const bool changed =
        c->exec(
             "UPDATE reel_key_charges SET state = 'settled', actual_nanos = $2::bigint, "
             "absorbed_nanos = $3::bigint, updated_ms = $4::bigint WHERE job_id = $1 AND state = "
             "'reserved'",
             {job_id, num(charge), num(actual - charge), num(store::wall_clock_ms())})
            .affected() > 0;
    tx.commit();
    return changed;
  }

  std::optional<JobCharge> charge(const std::string& job_id) override {
    auto c = pool_.acquire();
    auto r = c->exec(
        "SELECT c.key_id, c.state, c.reserved_nanos, c.actual_nanos, c.absorbed_nanos, "
        "k.budget_nanos, k.revoked FROM reel_key_charges c JOIN reel_api_keys k ON k.id = c.key_id "
        "WHERE "
        "c.job_id = $1",
        {job_id});
    if (r.rows() == 0) return std::nullopt;
    return store::job_charge(r.text(0, 0), r.text(0, 1), r.int64(0, 2), r.int64(0, 3),
                             r.int64(0, 4), r.int64(0, 5), r.boolean(0, 6));
  }

  bool release(const std::string& job_id) override {
    auto c = pool_.acquire();
    return c->exec(
                "UPDATE reel_key_charges SET state = 'released', updated_ms = $2::bigint "
                "WHERE job_id = $1 AND state = 'reserved'",
                {job_id, num(store::wall_clock_ms())})
               .affected() > 0;
  }

  std::vector<std::string> reserved_jobs(std::int64_t reserved_before_ms,
                                         std::size_t limit) override {
    auto c = pool_.acquire();
    auto r = c->exec(
        "SELECT job_id FROM reel_key_charges WHERE state = 'reserved' AND updated_ms < "
        "$1::bigint ORDER BY updated_ms LIMIT $2::bigint",
        {num(reserved_before_ms), num(static_cast<std::int64_t>(limit))});
    std::vector<std::string> ids;
    for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
    return ids;
  }

  Usage usage(const std::string& key_id) override {
    auto c = pool_.acquire();
    auto r = c->exec(
        "SELECT k.budget_nanos, COALESCE(SUM(CASE WHEN c.state = 'settled' THEN "
        "c.actual_nanos END), 0), COALESCE(SUM(CASE WHEN c.state = 'reserved' THEN "
        "c.reserved_nanos END), 0), COUNT(CASE WHEN c.state = 'settled' THEN 1 END), "
        "COUNT(CASE WHEN c.state = 'reserved' THEN 1 END), COALESCE(SUM(CASE WHEN c.state = "
        "'settled' THEN c.absorbed_nanos END), 0), COUNT(CASE WHEN c.state = 'settled' AND "
        "c.absorbed_nanos > 0 THEN 1 END) FROM reel_api_keys k LEFT JOIN "
        "reel_key_charges c ON c.key_id = k.id WHERE k.id = $1 GROUP BY k.budget_nanos",
        {key_id});
    if (r.rows() == 0) throw Error(ErrorKind::NotFound, "no API key " + key_id);
    Usage u;
    u.key_id = key_id;
    std::int64_t budget = r.int64(0, 0);
    u.budget_usd = budget < 0 ? -1 : store::from_nanos(budget);
    u.spent_usd = store::from_nanos(r.int64(0, 1));
    u.reserved_usd = store::from_nanos(r.int64(0, 2));
    u.jobs_settled = static_cast<int>(r.int64(0, 3));
    u.jobs_reserved = static_cast<int>(r.int64(0, 4));
    u.absorbed_usd = store::from_nanos(r.int64(0, 5));
    u.jobs_capped = static_cast<int>(r.int64(0, 6));
    auto up =
        c->exec("SELECT uploads, bytes, pixels FROM reel_key_uploads WHERE key_id = $1", {key_id});
    if (up.rows() > 0) {
      u.uploads = up.int64(0, 0);
      u.upload_bytes = up.int64(0, 1);
      u.upload_pixels = up.int64(0, 2);
    }
    return u;
  }

  void record_upload(const std::string& key_id, std::int64_t bytes, std::int64_t pixels) override {
    auto c = pool_.acquire();
    c->exec(
        "INSERT INTO reel_key_uploads (key_id, uploads, bytes, pixels) VALUES ($1, 1, "
        "$2::bigint, $3::bigint) ON CONFLICT (key_id) DO UPDATE SET uploads = "
        "reel_key_uploads.uploads + 1, bytes = reel_key_uploads.bytes + EXCLUDED.bytes, "
        "pixels = reel_key_uploads.pixels + EXCLUDED.pixels",
        {key_id, num(bytes), num(pixels)});
  }

 private:
  // Inside the caller's transaction, so a change and its audit row commit together.
  void write_audit(pg::Conn& c, const std::string& key_id, const char* action, const Json& detail) {
    c.exec(
        "INSERT INTO reel_key_audit (at_ms, key_id, action, actor, detail) VALUES ($1::bigint, "
        "$2, $3, $4, $5)",
        {num(store::wall_clock_ms()), key_id, action, actor_, detail.dump()});
  }

  pg::Pool pool_;
};

}  // namespace

std::unique_ptr<KeyStore> open_postgres_key_store(const std::string& url) {
  return std::make_unique<PostgresKeyStore>(url);
}

}  // namespace reel::server
