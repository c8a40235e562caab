#pragma once
// The HTTP API v1 (docs/api.md) over Boost.Beast: one io_context run by N threads, one
// strand per connection, strict parser limits and timeouts, and every blocking store call
// on a bounded pool so a slow query never stalls another connection's I/O.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "reel/model/registry.hpp"
#include "reel/pipeline/store.hpp"
#include "reel/server/job_store.hpp"
#include "reel/server/key_store.hpp"

namespace reel::server {

struct HttpOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port (see HttpServer::port)
  int io_threads = 1;
  int db_threads = 4;  // the bounded pool for store calls
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_json_bytes = 1 << 20;
  std::size_t max_upload_bytes = 32 << 20;
  std::chrono::milliseconds header_timeout{10'000};  // whole header (slowloris)
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{30'000};  // keep-alive wait for the next request
  std::chrono::milliseconds sse_heartbeat{15'000};
  std::chrono::milliseconds sse_poll{250};
  std::chrono::milliseconds shutdown_grace{30'000};  // in-flight requests may finish
  // At the cap a new connection sheds the oldest idle one of the address holding the most
  // (src/server/connection_table.hpp); an address past its own cap is closed at accept.
  int max_connections = 2048;
  int max_connections_per_address = 64;  // IPv6: per /64
  int max_streams_per_key = 64;          // open event streams of one API key (429 past it)
  int max_json_depth = 64;
  // A key authenticated within this long is not looked up again: a revocation takes
  // effect within it. 0: every request asks the key store.
  std::chrono::milliseconds auth_cache_ttl{1'000};
  // One JSON line per request to this file ("-": stdout); empty: no access log.
  std::string access_log;
  bool handle_signals = false;  // run(): SIGINT/SIGTERM call stop()
};

// What the routes read and write. All references must outlive the server.
struct ApiContext {
  JobStore& jobs;
  KeyStore& keys;
  const model::Registry& registry;
  pipeline::ArtifactStore& artifacts;
  std::string engine;  // "sqlite" or "postgres" (for /readyz)
  // Accept webhook URLs on private/loopback addresses (trusted intranets and tests only);
  // the workers that deliver them need the same setting.
  bool webhook_allow_private = false;
};

class HttpServer {
 public:
  // Binds at once (throws Io naming the address when it cannot).
  HttpServer(ApiContext context, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  // Serves until stop(); returns when every connection has closed or the grace ran out.
  void run();
  // Graceful: stops accepting, lets in-flight requests finish, closes idle connections.
  // Safe from any thread and from a signal handler's asio callback.
  void stop();

  struct Impl;  // opaque; public so the connection code can name it

 private:
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI 3.1 document served at /v1/openapi.json (docs/openapi.json is a copy).
const std::string& openapi_document();

}  // namespace reel::server
