#include "wan/wan_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "reel/core/error.hpp"

namespace reel::wan::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

Pipe make_pipe() {
  int fds[2];
  // CLOEXEC on both ends: another thread's child must not inherit them (it would keep
  // our read loop from ever seeing end-of-file); dup2 in the child clears the flag.
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw Error(ErrorKind::Io, std::string("cannot create a pipe: ") + std::strerror(errno));
  return {Fd(fds[0]), Fd(fds[1])};
}

ErrorKind kind_of_exit(int code) {
  switch (code) {
    case 2:
      return ErrorKind::InvalidInput;
    case 3:
      return ErrorKind::Io;
    case 4:
      return ErrorKind::NotFound;
    case 5:
      return ErrorKind::ModelLoad;
    case 6:
      return ErrorKind::OutOfMemory;
    case 7:
      return ErrorKind::Budget;
    case 8:
      return ErrorKind::Unsupported;
    case 9:
      return ErrorKind::Policy;
    case 130:
      return ErrorKind::Cancelled;
    default:
      return ErrorKind::Internal;
  }
}

// The child's error line: {"error": {"message": ...}} or plain text.
std::string error_message(const std::string& stderr_text) {
  std::string last;
  std::size_t start = 0;
  while (start < stderr_text.size()) {
    std::size_t end = stderr_text.find('\n', start);
    if (end == std::string::npos) end = stderr_text.size();
    std::string line = stderr_text.substr(start, end - start);
    if (!line.empty()) last = line;
    start = end + 1;
  }
  Json j = Json::parse(last, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("message") && j["error"]["message"].is_string())
    return j["error"]["message"].get<std::string>();
  return last.empty() ? "(no message on stderr)" : last;
}

class Child {
 public:
  Child(const std::vector<std::string>& argv, Fd& out_write, Fd& err_write) {
    // Everything the child needs is prepared before fork: between fork and exec only
    // async-signal-safe calls are allowed (this process has other threads).
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    Pipe status = make_pipe();  // CLOEXEC: closes on a successful exec, carries errno if not
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0)
      throw Error(ErrorKind::Io, std::string("cannot start reel-neural: ") + std::strerror(errno));
    if (pid_ == 0) {
      // If reel dies without cancelling (a crash, SIGKILL), the child must not run on
      // holding a GPU: the kernel sends it SIGTERM. The forking thread stays blocked in
      // run_child while the child lives, so a thread exit cannot trigger it early.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      ::dup2(out_write.get(), 1);
      ::dup2(err_write.get(), 2);
      ::execv(args[0], args.data());
      const int err = errno;
      [[maybe_unused]] auto n = ::write(status.write.get(), &err, sizeof err);
      ::_exit(127);
    }
    status.write.reset();
    int err = 0;
    ssize_t got;
    while ((got = ::read(status.read.get(), &err, sizeof err)) < 0 && errno == EINTR) {
    }
    if (got == sizeof err) {
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      throw Error(ErrorKind::NotFound, "cannot run " + argv[0] + ": " + std::strerror(err) +
                                           " (set REEL_NEURAL_BIN to the reel-neural binary)");
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Never leaves a child behind, whatever unwinds through here.
  ~Child() {
    if (pid_ > 0) stop(std::chrono::milliseconds(0));
  }

  // Returns the exit status when the child has ended, else -1.
  int poll_exit() {
    int status = 0;
    if (pid_ <= 0) return status_;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return pid_ > 0 ? -1 : status_;
  }

  void stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
      if (poll_exit() >= 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    status_ = 137;
  }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

void handle_line(const std::string& line, ChildResult& result,
                 const std::function<void(double, std::string_view)>& on_progress) {
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return;  // not protocol (a library's stray print): ignored
  if (j.value("done", false)) {
    result.done = j;
    return;
  }
  auto p = j.find("progress");
  if (p == j.end() || !p->is_number()) return;
  const double f = std::clamp(p->get<double>(), 0.0, 1.0);
  const std::string msg = j.value("message", std::string());
  if (on_progress) on_progress(f, msg);
}

}  // namespace

ChildResult run_child(const std::vector<std::string>& argv, const CancelToken& cancel,
                      std::chrono::milliseconds kill_grace,
                      const std::function<void(double, std::string_view)>& on_progress) {
  cancel.check();
  Pipe out = make_pipe(), err = make_pipe();
  Child child(argv, out.write, err.write);
  out.write.reset();
  err.write.reset();

  ChildResult result;
  std::string out_buf, err_text;
  bool out_open = true, err_open = true;
  char chunk[4096];
  while (out_open || err_open) {
    if (cancel.cancelled()) {
      child.stop(kill_grace);
      cancel.check();
    }
    pollfd fds[2] = {{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
    // Short timeout: cancellation is noticed within 50 ms even when the child is silent.
    int n = ::poll(fds, 2, 50);
    if (n < 0 && errno != EINTR)
      throw Error(ErrorKind::Io,
                  std::string("reading reel-neural's output: ") + std::strerror(errno));
    if (n <= 0) continue;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = ::read(out.read.get(), chunk, sizeof chunk);
      if (got <= 0) {
        out_open = false;
        fds[0].fd = -1;
      } else {
        out_buf.append(chunk, static_cast<std::size_t>(got));
        std::size_t nl;
        while ((nl = out_buf.find('\n')) != std::string::npos) {
          handle_line(out_buf.substr(0, nl), result, on_progress);
          out_buf.erase(0, nl + 1);
        }
      }
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = ::read(err.read.get(), chunk, sizeof chunk);
      if (got <= 0) {
        err_open = false;
      } else if (err_text.size() < 64 * 1024) {  // a runaway child cannot fill our memory
        err_text.append(chunk, static_cast<std::size_t>(got));
      }
    }
    if (!out_open) out.read.reset();
    if (!err_open) err.read.reset();
  }
  if (!out_buf.empty()) handle_line(out_buf, result, on_progress);

  int code = -1;
  while ((code = child.poll_exit()) < 0) {
    if (cancel.cancelled()) {
      child.stop(kill_grace);
      cancel.check();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (code != 0)
    throw Error(kind_of_exit(code), "reel-neural generate failed (exit " + std::to_string(code) +
                                        "): " + error_message(err_text));
  return result;
}

}  // namespace reel::wan::detail
