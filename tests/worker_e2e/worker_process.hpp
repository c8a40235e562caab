#pragma once
// A `reel worker` child process for the black-box tests: started with fork/exec, its
// stdout read until the "ready" line, stopped with a signal of the test's choosing.
#include <sys/types.h>

#include <string>
#include <vector>

namespace reel::testing {

class WorkerProcess {
 public:
  // Runs build/bin/reel worker with `args` and REEL_DIAGNOSTIC_MODELS=1; stderr goes to
  // `log_file`. Waits (up to 30 s) for the ready line; throws std::runtime_error if none.
  WorkerProcess(const std::vector<std::string>& args, const std::string& log_file);
  ~WorkerProcess();  // SIGKILL if still running
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& ready_line() const { return ready_; }
  void signal(int sig);
  // Waits for the exit (up to timeout_ms; then SIGKILL) and returns the wait status.
  int wait(int timeout_ms = 30'000);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string ready_;
  bool reaped_ = false;
};

}  // namespace reel::testing
