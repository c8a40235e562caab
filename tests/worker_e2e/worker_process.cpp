#include "worker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace reel::testing {

WorkerProcess::WorkerProcess(const std::vector<std::string>& args, const std::string& log_file) {
  std::vector<std::string> full{std::string(REEL_BINARY_DIR) + "/bin/reel", "worker"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment is built before fork: a threaded parent's child may only make
  // async-signal-safe calls before exec.
  std::vector<std::string> env_text{"REEL_DIAGNOSTIC_MODELS=1"};
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("REEL_DIAGNOSTIC_MODELS=", 0) != 0) env_text.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("cannot open " + log_file);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(log, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  ::close(log);
  out_fd_ = pipefd[0];
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ready_.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    end - std::chrono::steady_clock::now())
                    .count();
    pollfd p{out_fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, int(left)) <= 0) break;
    char buf[256];
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    ready_.append(buf, std::size_t(n));
  }
  if (ready_.find(" ready") == std::string::npos) {
    ::kill(pid_, SIGKILL);
    wait(5000);
    throw std::runtime_error("reel worker did not report ready (see " + log_file + "): " + ready_);
  }
}

WorkerProcess::~WorkerProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait(5000);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

void WorkerProcess::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int WorkerProcess::wait(int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      reaped_ = true;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace reel::testing
