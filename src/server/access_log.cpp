// Buffered JSON-lines access log.
#include "server/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/core/log.hpp"
#include "server/api_types.hpp"

namespace reel::server {

namespace {
constexpr std::size_t kFlushBytes = 64 << 10;
constexpr auto kFlushEvery = std::chrono::milliseconds(200);
}  // namespace

std::string access_line(const AccessEntry& e) {
  nlohmann::ordered_json j;
  j["time"] = rfc3339(e.unix_ms);
  j["key_id"] = nullptr;
  if (!e.key_id.empty()) j["key_id"] = e.key_id;
  j["method"] = e.method;
  j["route"] = e.route;
  j["status"] = e.status;
  j["bytes_in"] = e.bytes_in;
  j["bytes_out"] = e.bytes_out;
  j["ms"] = std::round(e.ms * 1000) / 1000;  // µs resolution is plenty
  j["remote"] = e.remote;
  // replace: a method token is ASCII, but the log must never fail on odd bytes.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

AccessLog::AccessLog(const std::string& path) : path_(path) {
  if (path == "-") {
    fd_ = STDOUT_FILENO;
  } else {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0)
      throw Error(ErrorKind::Io, "cannot open the access log '" + path +
                                     "': " + std::strerror(errno) +
                                     " (--access-log takes a file path or '-' for stdout)");
    owns_fd_ = true;
  }
  flusher_ = std::thread([this] { flush_loop(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  flusher_.join();
  if (owns_fd_) ::close(fd_);
}

void AccessLog::write(const AccessEntry& e) {
  std::string line = access_line(e);
  line += '\n';
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    buffer_ += line;
    full = buffer_.size() >= kFlushBytes;
  }
  if (full) wake_.notify_one();
}

void AccessLog::flush_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, kFlushEvery, [this] { return stop_ || buffer_.size() >= kFlushBytes; });
    std::string out;
    out.swap(buffer_);
    bool stopping = stop_;
    lock.unlock();
    if (!out.empty()) write_out(out);  // outside the lock: requests keep appending
    lock.lock();
    if (stopping && buffer_.empty()) return;
  }
}

void AccessLog::write_out(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!failed_)
        log_error("access log '" + path_ + "': write failed (" + std::strerror(errno) +
                  "); lines are dropped until it works again");
      failed_ = true;
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  failed_ = false;
}

}  // namespace reel::server
