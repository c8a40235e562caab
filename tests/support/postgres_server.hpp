#pragma once
// A throwaway PostgreSQL server for tests and benchmarks: a fresh cluster in a temporary
// directory (copied from an initdb'd template cached beside it), a postmaster on 127.0.0.1 at a
// free port (its unix socket in that directory, so it never meets a packaged cluster), one
// database, and everything stopped and deleted by the destructor. PostgreSQL refuses to run as
// root, so under euid 0 the server runs as the `postgres` system user (Debian's postgresql package
// creates it).
#include <sys/types.h>

#include <filesystem>
#include <string>

namespace reel::testing {

class PostgresServer {
 public:
  struct Options {
    // Off for tests (nothing here must survive a power cut); on to measure real commits.
    bool fsync = false;
    int max_connections = 200;
  };
  // Throws std::runtime_error (with the server's log) when it cannot start within 60 s.
  // Construct it on a thread that lives as long as it does (the main thread: gtest's):
  // the server is tied to that thread so that it dies with a crashed or killed test.
  PostgresServer();
  explicit PostgresServer(Options options);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // postgres://reel@127.0.0.1:PORT/reel_test (trust authentication on loopback only).
  const std::string& url() const { return url_; }
  // The same server, another database (created on first use; ~0.2 s).
  std::string create_database(const std::string& name);
  // The test database seen through a schema of its own (a URL whose search_path is that
  // schema; created on first use, instantly): a fresh, isolated namespace per test.
  // name: lowercase letters, digits and '_'.
  std::string create_schema(const std::string& name);
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void start(const Options& options);
  void stop();

  std::filesystem::path dir_;
  std::string url_;
  int port_ = 0;
  pid_t pid_ = -1;
  pid_t owner_ = -1;  // a forked test child must not stop its parent's server on exit
};

// One server shared by the whole test binary, started on first use and stopped at exit.
PostgresServer& shared_postgres_server();

}  // namespace reel::testing
