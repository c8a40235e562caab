#pragma once
// Thin RAII over libpq for the server's PostgreSQL stores: a connection that prepares each
// statement once, results that clear themselves, and a small pool so that every thread
// works on its own connection. Errors are reel::Error Io naming host, port and database,
// never the password.
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reel/core/error.hpp"

namespace reel::server::pg {

// A query parameter in PostgreSQL's text format; nullopt is SQL NULL.
using Param = std::optional<std::string>;

class Result {
 public:
  explicit Result(PGresult* r) : r_(r, &PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::int64_t int64(int row, int col) const;
  double real(int row, int col) const;
  bool boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  // Rows changed by INSERT/UPDATE/DELETE without RETURNING.
  int affected() const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

// The failure of one statement; sqlstate tells e.g. a unique violation (23505) or a
// serialization failure (40001) from a lost connection ("" then).
class PgError : public Error {
 public:
  PgError(std::string sqlstate, std::string message)
      : Error(ErrorKind::Io, std::move(message)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

class Conn {
 public:
  // Throws Io naming where it tried to connect.
  // session_sql (may be empty) runs once after connecting.
  explicit Conn(const std::string& url, const std::string& session_sql = {});
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs one statement (prepared on first use on this connection).
  Result exec(const std::string& sql, const std::vector<Param>& params = {});
  // Runs a statement that takes no parameters and is not worth preparing (BEGIN, DDL).
  void run(const char* sql);
  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
  // Outside any transaction (one left open or aborted makes the connection unusable).
  bool idle() const { return PQtransactionStatus(c_) == PQTRANS_IDLE; }
  const std::string& where() const { return where_; }

 private:
  PGconn* c_ = nullptr;
  std::string where_;  // "PostgreSQL at host:port/db" for messages
  std::unordered_map<std::string, std::string> prepared_;
};

// Where a URL points, for messages: "PostgreSQL at host:port/db" (no user, no password).
std::string describe(const std::string& url);

class Pool {
 public:
  // Connects once at construction so that a wrong URL fails early. session_sql runs on
  // every new connection (session settings).
  explicit Pool(std::string url, std::string session_sql = {});

  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    ~Lease() { pool_.give_back(std::move(conn_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Conn* operator->() { return conn_.get(); }
    Conn& operator*() { return *conn_; }

   private:
    Pool& pool_;
    std::unique_ptr<Conn> conn_;
  };

  Lease acquire();

 private:
  void give_back(std::unique_ptr<Conn> conn);

  std::string url_, session_sql_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

// BEGIN now; ROLLBACK unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Conn& conn) : conn_(conn) { conn_.run("BEGIN"); }
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    conn_.run("COMMIT");
    done_ = true;
  }

 private:
  Conn& conn_;
  bool done_ = false;
};

}  // namespace reel::server::pg
