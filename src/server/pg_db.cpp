#include "server/pg_db.hpp"

#include <cstdlib>

namespace reel::server::pg {

namespace {
// The idle connections a pool keeps; more threads than this still each get their own,
// the extra ones are closed when handed back.
constexpr std::size_t kMaxIdle = 32;

// libpq's messages end in newlines and indent their hints; reel's errors are one line.
std::string one_line(std::string msg) {
  std::string out;
  bool space = false;
  for (char ch : msg) {
    if (ch == '\n' || ch == '\t' || ch == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += "; ";
    space = false;
    out += ch;
  }
  return out;
}
}  // namespace

std::int64_t Result::int64(int row, int col) const {
  return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
}

double Result::real(int row, int col) const {
  return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
}

int Result::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n && *n ? std::atoi(n) : 0;
}

std::string describe(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    std::string msg = err ? err : "unparsable";
    PQfreemem(err);
    // libpq's message quotes at most the option name, never a value.
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw Error(ErrorKind::InvalidInput,
                "PostgreSQL URL is malformed: " + msg + " (expected postgres://user@host:port/db)");
  }
  std::string host = "localhost", port = "5432", db;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    std::string k = o->keyword;
    if (k == "host" || (k == "hostaddr" && host == "localhost")) host = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") db = o->val;
  }
  PQconninfoFree(opts);
  return "PostgreSQL at " + host + ":" + port + (db.empty() ? "" : "/" + db);
}

Conn::Conn(const std::string& url, const std::string& session_sql) : where_(describe(url)) {
  // A short connect timeout: an unreachable server is reported, not waited on forever.
  // Defaults first: whatever the URL says is processed after them and wins.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* vals[] = {"10", "reel", url.c_str(), nullptr};
  c_ = PQconnectdbParams(keys, vals, /*expand_dbname=*/1);
  if (!c_) throw Error(ErrorKind::OutOfMemory, "cannot allocate a PostgreSQL connection");
  if (PQstatus(c_) != CONNECTION_OK) {
    std::string msg = one_line(PQerrorMessage(c_));
    PQfinish(c_);
    c_ = nullptr;
    throw Error(ErrorKind::Io, "cannot connect to " + where_ + ": " + msg);
  }
  PQsetNoticeProcessor(
      c_, [](void*, const char*) {}, nullptr);  // IF NOT EXISTS notices
}

Conn::~Conn() {
  if (c_) PQfinish(c_);
}

namespace {
[[noreturn]] void fail(PGconn* c, PGresult* r, const std::string& where, const std::string& sql) {
  std::string state;
  if (r) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (s) state = s;
  }
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
  if (msg.empty()) msg = PQerrorMessage(c);
  msg = one_line(msg);
  if (r) PQclear(r);
  std::string head = sql.substr(0, sql.find_first_of("(\n"));
  throw PgError(state, where + ": " + msg + " (in: " + head.substr(0, 60) + ")");
}
}  // namespace

Result Conn::exec(const std::string& sql, const std::vector<Param>& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    PGresult* r = PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) fail(c_, r, where_, sql);
    PQclear(r);
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* r = PQexecPrepared(c_, it->second.c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0);
  auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(c_, r, where_, sql);
  return Result(r);
}

void Conn::run(const char* sql) {
  PGresult* r = PQexec(c_, sql);
  auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(c_, r, where_, sql);
  PQclear(r);
}

Pool::Pool(std::string url, std::string session_sql)
    : url_(std::move(url)), session_sql_(std::move(session_sql)) {
  idle_.push_back(std::make_unique<Conn>(url_, session_sql_));
}

Pool::Lease Pool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(conn));
    }
  }
  return Lease(*this, std::make_unique<Conn>(url_, session_sql_));
}

void Pool::give_back(std::unique_ptr<Conn> conn) {
  // A connection that broke (server restart, network) is dropped; the next acquire dials
  // again.
  if (!conn || !conn->ok() || !conn->idle()) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
}

Transaction::~Transaction() {
  if (!done_) {
    try {
      conn_.run("ROLLBACK");
    } catch (...) {  // the connection is gone; the server rolls back on its own
    }
  }
}

}  // namespace reel::server::pg
