#pragma once
// Thin RAII over the sqlite3 C API for the server's stores: one connection, prepared
// statements reused across calls, and transactions that roll back unless committed.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "reel/core/error.hpp"

namespace reel::server::sqlite {

class Db {
 public:
  explicit Db(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw Error(ErrorKind::Io, "job store: cannot open " + file.string() + ": " + msg);
    }
    // Other processes hold the write lock only for one short transaction.
    sqlite3_busy_timeout(db_, 10000);
  }
  ~Db() {
    for (auto& [sql, idle] : idle_)
      for (sqlite3_stmt* s : idle) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }

  // A prepared statement for `sql`. Preparing costs more than the short queries the
  // stores run (a status read spent most of its store time there), so statements are
  // kept per SQL text and handed out again after a reset. Like the connection, not
  // thread-safe: the stores call it under their lock.
  sqlite3_stmt* take(const char* sql) {
    if (auto it = idle_.find(sql); it != idle_.end() && !it->second.empty()) {
      sqlite3_stmt* s = it->second.back();
      it->second.pop_back();
      return s;
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      sqlite3_finalize(s);
      throw Error(ErrorKind::Io, std::string("job store: ") + sqlite3_errmsg(db_));
    }
    return s;
  }
  // Resets (releasing its read lock) and keeps a statement from take().
  void give_back(sqlite3_stmt* s) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    auto& idle = idle_[sqlite3_sql(s)];
    if (idle.size() >= kMaxIdlePerSql) {
      sqlite3_finalize(s);
      return;
    }
    idle.push_back(s);
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw Error(ErrorKind::Io, std::string("job store: ") + msg);
    }
  }
  int changes() const { return sqlite3_changes(db_); }
  std::size_t idle_statements() const {
    std::size_t n = 0;
    for (auto& [sql, idle] : idle_) n += idle.size();
    return n;
  }

 private:
  static constexpr std::size_t kMaxIdlePerSql = 4;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
};

class Stmt {
 public:
  Stmt(Db& db, const char* sql) : db_(db), s_(db.take(sql)) {}
  ~Stmt() { db_.give_back(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }

  // True while a row is available.
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(ErrorKind::Io, std::string("job store: ") + sqlite3_errmsg(db_.get()));
  }
  std::string text(int i) const {
    auto* p = sqlite3_column_text(s_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string();
  }
  std::int64_t int64(int i) const { return sqlite3_column_int64(s_, i); }
  double real(int i) const { return sqlite3_column_double(s_, i); }

 private:
  Db& db_;
  sqlite3_stmt* s_ = nullptr;
};

// BEGIN IMMEDIATE takes the write lock up front, so two processes never both read the
// same queued job and then both claim it.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace reel::server::sqlite
