// `reel serve` (the HTTP API, docs/api.md); the API keys it checks are cmd_api_keys.cpp.
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "args.hpp"
#include "commands.hpp"
#include "reel/catalog/catalog.hpp"
#include "reel/core/error.hpp"
#include "reel/core/paths.hpp"
#include "reel/model/registry.hpp"
#include "reel/pipeline/store.hpp"
#include "reel/server/http_server.hpp"
#include "reel/server/stores.hpp"
#include "reel/server/worker.hpp"

namespace reel::cli {

std::string default_store() {
  std::filesystem::create_directories(reel_home());
  return (reel_home() / "server.sqlite").string();
}

namespace {

std::chrono::milliseconds ms_option(const Args& a, const std::string& name,
                                    std::chrono::milliseconds fallback) {
  auto v = a.value(name);
  return v ? std::chrono::milliseconds(parse_integer(*v, name, 1, 3'600'000)) : fallback;
}

// Each connection is a descriptor, and many systems start processes with a soft limit of
// 1024: raise it to the hard limit (as nginx's worker_rlimit_nofile does) and say so when
// even that is short of --max-connections.
void raise_descriptor_limit(int max_connections) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    getrlimit(RLIMIT_NOFILE, &r);
  }
  // Store files, the artifact store, workers and listeners need descriptors too.
  constexpr rlim_t kSpare = 256;
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < rlim_t(max_connections) + kSpare)
    std::fprintf(stderr,
                 "reel serve: warning: the descriptor limit (%llu) is below --max-connections "
                 "(%d) + %llu spare; raise `ulimit -n` or lower --max-connections\n",
                 static_cast<unsigned long long>(r.rlim_cur), max_connections,
                 static_cast<unsigned long long>(kSpare));
}

}  // namespace

int cmd_serve(const Argv& args) {
  Args a(args, {"--webhook-allow-private"},
         {"--store", "--listen", "--workers", "--threads", "--db-threads", "--artifacts",
          "--header-timeout-ms", "--idle-timeout-ms", "--body-timeout-ms", "--max-connections",
          "--sse-heartbeat-ms", "--shutdown-grace-ms", "--lease-ms", "--auth-cache-ms",
          "--max-streams-per-key", "--provider-keys", "--provider-prices",
          "--max-connections-per-address", "--access-log"});
  a.max_positional(0,
                   "reel serve [--store URL|PATH] [--listen HOST:PORT] [--workers N] "
                   "[--provider-keys FILE] [--provider-prices FILE]");
  std::string store_url = a.value("--store").value_or(default_store());
  std::string listen = a.value("--listen").value_or("127.0.0.1:8080");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw Error(ErrorKind::InvalidInput, "--listen takes HOST:PORT, got '" + listen + "'");
  server::HttpOptions o;
  o.host = listen.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  o.port = static_cast<std::uint16_t>(
      parse_integer(listen.substr(colon + 1), "--listen port", 0, 65535));
  if (auto v = a.value("--threads")) o.io_threads = int(parse_integer(*v, "--threads", 1, 256));
  if (auto v = a.value("--db-threads"))
    o.db_threads = int(parse_integer(*v, "--db-threads", 1, 256));
  if (auto v = a.value("--max-connections"))
    o.max_connections = int(parse_integer(*v, "--max-connections", 1, 1'000'000));
  if (auto v = a.value("--max-connections-per-address"))
    o.max_connections_per_address =
        int(parse_integer(*v, "--max-connections-per-address", 1, 1'000'000));
  if (auto v = a.value("--access-log")) {
    if (v->empty())
      throw Error(ErrorKind::InvalidInput, "--access-log takes a file path or '-' (stdout)");
    o.access_log = *v;
  }
  raise_descriptor_limit(o.max_connections);
  o.header_timeout = ms_option(a, "--header-timeout-ms", o.header_timeout);
  o.idle_timeout = ms_option(a, "--idle-timeout-ms", o.idle_timeout);
  o.body_timeout = ms_option(a, "--body-timeout-ms", o.body_timeout);
  o.sse_heartbeat = ms_option(a, "--sse-heartbeat-ms", o.sse_heartbeat);
  o.shutdown_grace = ms_option(a, "--shutdown-grace-ms", o.shutdown_grace);
  if (auto v = a.value("--max-streams-per-key"))
    o.max_streams_per_key = int(parse_integer(*v, "--max-streams-per-key", 1, 1'000'000));
  if (auto v = a.value("--auth-cache-ms"))
    o.auth_cache_ttl = std::chrono::milliseconds(parse_integer(*v, "--auth-cache-ms", 0, 60'000));
  o.handle_signals = true;
  int workers =
      a.value("--workers") ? int(parse_integer(*a.value("--workers"), "--workers", 0, 64)) : 1;

  server::ServerStores stores = server::open_server_stores(store_url);
  model::Registry registry;
  // REEL_MODELS, provider keys etc.; a model that cannot run here stays listed,
  // available: false.
  catalog::BackendOptions backends;
  if (auto f = a.value("--provider-keys")) backends.providers.load_keys_file(*f);
  if (auto f = a.value("--provider-prices")) backends.providers.load_prices_file(*f);
  catalog::register_builtin_models(registry, backends);
  server::register_diagnostic_models_from_env(registry);
  std::filesystem::path artifacts_root = a.value("--artifacts")
                                             ? std::filesystem::path(*a.value("--artifacts"))
                                             : pipeline::ArtifactStore::default_root();
  pipeline::ArtifactStore artifacts(artifacts_root);
  server::ApiContext ctx{*stores.jobs, *stores.keys, registry, artifacts, stores.engine};
  ctx.webhook_allow_private = a.flag("--webhook-allow-private");
  server::HttpServer http(ctx, o);
  std::unique_ptr<server::WorkerLoop> loop;
  if (workers > 0) {
    server::WorkerOptions w;
    w.concurrency = workers;
    w.jobs = stores.jobs.get();
    w.keys = stores.keys.get();
    w.registry = &registry;
    w.artifacts = &artifacts;
    if (auto v = a.value("--lease-ms")) {
      w.lease_ms = parse_integer(*v, "--lease-ms", 300, 3'600'000);
      w.heartbeat_ms = w.lease_ms / 3;
    }
    // From the environment, never argv: a secret on a command line shows in `ps`.
    if (const char* secret = std::getenv("REEL_WEBHOOK_SECRET")) w.webhook_secret = secret;
    w.webhook_allow_private = ctx.webhook_allow_private;
    loop = std::make_unique<server::WorkerLoop>(w);
    loop->start();
  }
  std::printf("reel serve: listening on http://%s:%u (store: %s, workers: %d)\n", o.host.c_str(),
              static_cast<unsigned>(http.port()), stores.engine.c_str(), workers);
  std::fflush(stdout);
  http.run();  // until SIGINT/SIGTERM; in-flight requests finish first
  // Workers stop claiming; running jobs get the grace, then go back to the queue.
  if (loop) loop->stop(o.shutdown_grace);
  std::fprintf(stderr, "reel serve: stopped\n");
  return 0;
}

}  // namespace reel::cli
