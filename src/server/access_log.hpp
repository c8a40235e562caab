#pragma once
// The access log of `reel serve --access-log PATH|-` (docs/api.md, "Access log"): one JSON
// line per answered request. It never holds a secret: requests carry the key id only once
// authenticated, and nothing from the Authorization header is written.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace reel::server {

struct AccessEntry {
  std::int64_t unix_ms = 0;  // when the request header arrived
  std::string key_id;        // empty: no authenticated key (written as null)
  std::string method;
  std::string route;  // the route template ("GET /v1/jobs/{id}"), never the raw target
  int status = 0;
  std::uint64_t bytes_in = 0;   // request body bytes
  std::uint64_t bytes_out = 0;  // response bytes on the wire, headers included
  double ms = 0;                // header arrival to the last byte written
  std::string remote;           // peer IP address
};

// The line for one entry (no newline), keys in the order above.
std::string access_line(const AccessEntry& e);

class AccessLog {
 public:
  // "-": standard output. Otherwise the file is opened for appending, created 0600 (it
  // names keys and addresses); throws Io naming the path when it cannot be.
  explicit AccessLog(const std::string& path);
  ~AccessLog();  // writes what is buffered
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Buffers the line; a thread writes the buffer every 200 ms or when it passes 64 KiB, so
  // a request never waits on the disk and a line is in the file within about 200 ms.
  void write(const AccessEntry& e);

 private:
  void flush_loop();
  void write_out(const std::string& bytes);

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool failed_ = false;  // a write failed; reported once
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string buffer_;
  bool stop_ = false;
  std::thread flusher_;
};

}  // namespace reel::server
