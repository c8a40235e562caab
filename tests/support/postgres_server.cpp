#include "support/postgres_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace reel::testing {
namespace {

namespace fs = std::filesystem;

const char* const kBinDir = "/usr/lib/postgresql/15/bin";

// The account the server runs as: ourselves, or `postgres` when we are root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs run_as() {
  RunAs r;
  if (::geteuid() != 0) return r;
  const passwd* pw = ::getpwnam("postgres");
  if (!pw)
    throw std::runtime_error(
        "PostgreSQL refuses to run as root and there is no `postgres` user to run it as; "
        "install the postgresql package (scripts/setup does) or run the tests as a normal user");
  r.switch_user = true;
  r.uid = pw->pw_uid;
  r.gid = pw->pw_gid;
  return r;
}

std::string read_tail(const fs::path& file, std::size_t max_bytes = 4000) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

// Forks a PostgreSQL program as the server's account with output appended to log, in its
// own process group (so stop() can reach the backends too) and killed with its parent.
pid_t spawn(const RunAs& as, const std::vector<std::string>& args, const fs::path& cwd,
            const fs::path& log, const fs::path& input = "/dev/null") {
  // Everything the child touches is prepared before fork: only async-signal-safe calls
  // are allowed between fork and exec in a threaded parent.
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("postgres test server: cannot open " + log.string());
  if (as.switch_user) (void)::fchown(fd, as.uid, as.gid);
  std::string cwd_s = cwd.string(), input_s = input.string();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw std::runtime_error("postgres test server: fork failed");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    int in = ::open(input_s.c_str(), O_RDONLY);
    if (in >= 0) ::dup2(in, 0);
    if (as.switch_user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(as.gid) != 0 || ::setuid(as.uid) != 0)
        ::_exit(126);
    }
    if (::chdir(cwd_s.c_str()) != 0) ::_exit(126);
    // Set after the user switch, which clears it; a test binary that dies (even by
    // SIGKILL) takes its server with it instead of leaving a stray postmaster.
    ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (::getppid() != parent) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A port the kernel just considered free; start() retries if another process takes it
// before the postmaster binds.
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (s >= 0) ::close(s);
    throw std::runtime_error("postgres test server: no free loopback port");
  }
  int port = ntohs(addr.sin_port);
  ::close(s);
  return port;
}

// Throwaway clusters live in memory when there is room (fsync is off for them anyway);
// one that measures real commits lives on disk.
fs::path base_dir(bool on_disk) {
  if (!on_disk) {
    struct statvfs st {};
    if (::statvfs("/dev/shm", &st) == 0 && ::access("/dev/shm", W_OK) == 0 &&
        static_cast<double>(st.f_bavail) * st.f_frsize > 2e9)
      return "/dev/shm";
  }
  return fs::temp_directory_path();
}

// initdb costs a second or more of CPU and every test process (ctest runs each test case
// alone) needs a cluster, so one initdb'd cluster, with the test database already in it,
// is kept per base directory and account as a template and copied (~0.1 s). It appears
// by rename only once complete, so concurrent test processes never see half of one.
fs::path template_cluster(const RunAs& as, const fs::path& base) {
  fs::path final_dir = base / ("reel-pg15-template-u" + std::to_string(::geteuid()));
  if (fs::exists(final_dir / "data" / "PG_VERSION")) return final_dir;
  std::string templ = (base / "reel-pg15-template-XXXXXX").string();
  if (!::mkdtemp(templ.data()))
    throw std::runtime_error("postgres test server: cannot create a directory under " +
                             base.string());
  fs::path dir = templ;
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  };
  try {
    if (as.switch_user && ::chown(dir.c_str(), as.uid, as.gid) != 0)
      throw std::runtime_error("postgres test server: cannot hand " + dir.string() +
                               " to the postgres user");
    fs::path log = dir / "initdb.log", data = dir / "data";
    std::string bin = kBinDir;
    pid_t init = spawn(as,
                       {bin + "/initdb", "-D", data.string(), "-U", "reel", "--auth=trust",
                        "--no-locale", "-E", "UTF8", "--no-sync", "--wal-segsize=1"},
                       dir, log);
    if (int rc = wait_exit(init); rc != 0)
      throw std::runtime_error("postgres test server: initdb exited with " + std::to_string(rc) +
                               ":\n" + read_tail(log));
    // The test database, created in single-user mode (no server, no port needed).
    fs::path sql = dir / "create.sql";
    std::ofstream(sql) << "CREATE DATABASE reel_test;\n";
    pid_t single = spawn(
        as, {bin + "/postgres", "--single", "-D", data.string(), "-c", "fsync=off", "postgres"},
        dir, log, sql);
    if (int rc = wait_exit(single); rc != 0)
      throw std::runtime_error("postgres test server: creating the test database exited with " +
                               std::to_string(rc) + ":\n" + read_tail(log));
    std::error_code ec;
    fs::rename(dir, final_dir, ec);  // fails when another process won the race: use theirs
    if (ec) cleanup();
  } catch (...) {
    cleanup();
    throw;
  }
  return final_dir;
}

// A test process killed outright cannot delete its cluster (its server dies with it), and
// in /dev/shm that is memory: clusters left without a running server (no postmaster.pid)
// for over ten minutes are removed by the next test process.
void sweep_abandoned_clusters(const fs::path& base) {
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("reel-pg-", 0) != 0) continue;
    std::error_code e2;
    auto age = now - fs::last_write_time(entry.path(), e2);
    if (e2 || age < std::chrono::minutes(10)) continue;
    if (fs::exists(entry.path() / "data" / "postmaster.pid", e2)) continue;
    fs::remove_all(entry.path(), e2);
  }
}

std::string url_for(int port, const std::string& db) {
  return "postgres://reel@127.0.0.1:" + std::to_string(port) + "/" + db;
}

}  // namespace

PostgresServer::PostgresServer() : PostgresServer(Options{}) {}

PostgresServer::PostgresServer(Options options) {
  owner_ = ::getpid();
  fs::path base = base_dir(options.fsync);
  sweep_abandoned_clusters(base);
  std::string templ = (base / "reel-pg-XXXXXX").string();
  if (!::mkdtemp(templ.data()))
    throw std::runtime_error("postgres test server: cannot create a directory under " +
                             base.string());
  dir_ = templ;
  try {
    start(options);
  } catch (...) {
    stop();
    throw;
  }
}

PostgresServer::~PostgresServer() {
  if (::getpid() == owner_) stop();
}

void PostgresServer::start(const Options& options) {
  RunAs as = run_as();
  if (as.switch_user && ::chown(dir_.c_str(), as.uid, as.gid) != 0)
    throw std::runtime_error("postgres test server: cannot hand " + dir_.string() +
                             " to the postgres user");
  fs::path log = dir_ / "server.log";
  fs::path data = dir_ / "data";
  std::string bin = kBinDir;

  // A copy made by the server's account, so the files are its own.
  fs::path templ = template_cluster(as, dir_.parent_path());
  pid_t copy = spawn(as, {"/bin/cp", "-a", (templ / "data").string(), data.string()}, dir_, log);
  if (int rc = wait_exit(copy); rc != 0)
    throw std::runtime_error("postgres test server: copying the template cluster " +
                             templ.string() + " failed:\n" + read_tail(log));

  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    pid_ = spawn(as,
                 {bin + "/postgres", "-D", data.string(), "-p", std::to_string(port_), "-k",
                  dir_.string(), "-c", "listen_addresses=127.0.0.1", "-c",
                  std::string("fsync=") + (options.fsync ? "on" : "off"), "-c",
                  "max_connections=" + std::to_string(options.max_connections), "-c",
                  "log_min_messages=warning"},
                 dir_, log);
    std::string probe = url_for(port_, "reel_test");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited = true;  // most likely the port was taken meanwhile; try another
        pid_ = -1;
        break;
      }
      if (PQping(probe.c_str()) == PQPING_OK) {
        url_ = probe;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exited) break;
  }
  throw std::runtime_error("postgres test server did not start (if the cached template " +
                           templ.string() + " is damaged, delete it to have it rebuilt):\n" +
                           read_tail(log));
}

std::string PostgresServer::create_database(const std::string& name) {
  std::string admin = url_for(port_, "postgres");
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(admin.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error("postgres test server: " + std::string(PQerrorMessage(conn.get())));
  std::string sql = "CREATE DATABASE \"" + name + "\"";
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  // 42P04: it exists already, which is what the caller wanted.
  const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK && !(state && std::string(state) == "42P04"))
    throw std::runtime_error("postgres test server: " + sql + ": " + PQerrorMessage(conn.get()));
  return url_for(port_, name);
}

std::string PostgresServer::create_schema(const std::string& name) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url_.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error("postgres test server: " + std::string(PQerrorMessage(conn.get())));
  std::string sql = "CREATE SCHEMA IF NOT EXISTS \"" + name + "\"";
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    throw std::runtime_error("postgres test server: " + sql + ": " + PQerrorMessage(conn.get()));
  return url_ + "?options=-csearch_path%3D" + name;
}

void PostgresServer::stop() {
  if (pid_ > 0) {
    // Immediate shutdown: nothing in a throwaway cluster needs a checkpoint.
    ::kill(pid_, SIGQUIT);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool gone = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        gone = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Backends are in the postmaster's process group; none may outlive the test.
    ::kill(-pid_, SIGKILL);
    if (!gone) wait_exit(pid_);
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

PostgresServer& shared_postgres_server() {
  static PostgresServer server;
  return server;
}

}  // namespace reel::testing
