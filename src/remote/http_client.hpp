#pragma once
// A small synchronous HTTP/1.1 client for the remote backend and webhook delivery.
// One connection per request (no keep-alive): every call is independent, so a
// timeout or a half-read body never poisons the next one. Each network operation has
// an inactivity timeout and the whole request a deadline; bodies are capped. Boost
// stays in the .cpp so callers do not compile Beast.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reel::remote {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // brackets stripped from IPv6 literals
  std::uint16_t port = 0;
  std::string target;  // path + query, at least "/"
};
// Throws InvalidInput naming what is allowed (http/https, a host, a port 1..65535,
// no userinfo, no fragment).
Url parse_url(std::string_view url);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
  // First header with this name (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{30'000};  // longest silence while reading/writing
  std::chrono::milliseconds deadline{0};         // whole request; 0 = none
  std::uint64_t max_body_bytes = 64ull << 20;    // in-memory bodies
  // Refuse to connect to loopback, private, link-local, multicast or unspecified
  // addresses (SSRF); every resolved address is checked and only checked ones dialled.
  bool refuse_private = false;
};

struct SseEvent {
  std::string id;
  std::string event = "message";
  std::string data;  // data lines joined with '\n'
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {}) : options_(options) {}

  const HttpOptions& options() const { return options_; }
  HttpOptions& options() { return options_; }

  // Sends one request and reads the whole answer into memory. Throws Error(Io) for
  // connection failures, timeouts and answers larger than max_body_bytes, and
  // Error(Policy) for a refused address. Any HTTP status is returned, not thrown.
  HttpResponse request(std::string_view method, const Url& url, const Headers& headers = {},
                       std::string_view body = {});

  // Like request, but a 2xx body is streamed to `path` through an AtomicFile (whole
  // or absent), refusing bodies over max_bytes. A non-2xx answer is read into
  // memory (capped) and returned without touching `path`.
  HttpResponse download(const Url& url, const Headers& headers, const std::filesystem::path& path,
                        std::uint64_t max_bytes);

  // Opens a text/event-stream and calls on_event for each event until the server
  // closes the stream or on_event returns false. A 2xx answer with a status is
  // returned (body empty); a non-2xx answer is returned with its (capped) body and
  // no events. io_timeout bounds the silence between bytes (heartbeats count).
  HttpResponse stream_events(const Url& url, const Headers& headers,
                             const std::function<bool(const SseEvent&)>& on_event);

 private:
  HttpOptions options_;
};

// Feeds SSE text in arbitrary chunks and emits whole events (the WHATWG rules: lines
// end in \n, \r\n or \r; ':' starts a comment; a blank line dispatches). Separate from
// the socket so it can be tested and fuzzed alone.
class SseParser {
 public:
  // Returns false as soon as on_event does (the remaining input is dropped).
  bool feed(std::string_view chunk, const std::function<bool(const SseEvent&)>& on_event);
  std::uint64_t max_line_bytes = 1 << 20;  // a longer line is InvalidInput

 private:
  bool line(std::string_view l, const std::function<bool(const SseEvent&)>& on_event);
  std::string pending_;
  bool last_was_cr_ = false;
  SseEvent event_;
  bool has_data_ = false;
};

}  // namespace reel::remote
