// `reel worker`: claims jobs from a shared store and runs them (issue 7, docs/server.md
// "Workers"). SIGTERM or SIGINT stops it gracefully: no new claims, in-flight jobs get
// --grace-ms to finish, then they are handed back to the queue.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "args.hpp"
#include "commands.hpp"
#include "reel/catalog/catalog.hpp"
#include "reel/core/error.hpp"
#include "reel/server/stores.hpp"
#include "reel/server/worker.hpp"

namespace reel::cli {

int cmd_worker(const Argv& argv) {
  const std::string usage =
      "reel worker --store URL [--concurrency N] [--lease-ms N] [--heartbeat-ms N] "
      "[--poll-ms N] [--grace-ms N] [--artifacts DIR] [--worker-id ID] [--prices FILE] "
      "[--webhook-allow-private] [--provider-keys FILE] [--provider-prices FILE]";
  Args a(argv, {"--webhook-allow-private"},
         {"--store", "--concurrency", "--lease-ms", "--heartbeat-ms", "--poll-ms", "--grace-ms",
          "--artifacts", "--worker-id", "--prices", "--provider-keys", "--provider-prices"});
  a.max_positional(0, usage);
  auto url = a.value("--store");
  if (!url)
    throw Error(ErrorKind::InvalidInput,
                "--store is required (postgres://... or a SQLite file); usage: " + usage);

  // Signals are taken synchronously by this thread (sigwait), so the worker threads never
  // run a handler and stopping is ordinary code.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  server::ServerStores stores = server::open_server_stores(*url);
  model::Registry registry;
  // REEL_MODELS, provider keys etc.; a model that cannot run here stays listed,
  // available: false.
  catalog::BackendOptions backends;
  if (auto f = a.value("--provider-keys")) backends.providers.load_keys_file(*f);
  if (auto f = a.value("--provider-prices")) backends.providers.load_prices_file(*f);
  catalog::register_builtin_models(registry, backends);
  bool diag = server::register_diagnostic_models_from_env(registry);

  server::WorkerOptions o;
  o.jobs = stores.jobs.get();
  o.keys = stores.keys.get();
  o.registry = &registry;
  if (auto v = a.value("--concurrency"))
    o.concurrency = int(parse_integer(*v, "--concurrency", 1, 256));
  const std::int64_t day_ms = 86'400'000;
  if (auto v = a.value("--lease-ms")) o.lease_ms = parse_integer(*v, "--lease-ms", 100, day_ms);
  o.heartbeat_ms = a.value("--heartbeat-ms")
                       ? parse_integer(*a.value("--heartbeat-ms"), "--heartbeat-ms", 10, day_ms)
                       : std::max<std::int64_t>(10, o.lease_ms / 3);
  if (auto v = a.value("--poll-ms")) o.poll_ms = parse_integer(*v, "--poll-ms", 1, 60'000);
  std::int64_t grace_ms = 30'000;
  if (auto v = a.value("--grace-ms")) grace_ms = parse_integer(*v, "--grace-ms", 0, day_ms);
  if (auto v = a.value("--artifacts")) o.artifact_root = *v;
  if (auto v = a.value("--worker-id")) o.worker_id = *v;
  if (auto v = a.value("--prices")) o.prices = pipeline::PriceSheet::load(*v);
  if (const char* s = std::getenv("REEL_WEBHOOK_SECRET")) o.webhook_secret = s;
  o.webhook_allow_private = a.flag("--webhook-allow-private");

  server::WorkerLoop loop(o);
  loop.start();
  std::printf(
      "reel worker %s ready: %s store, concurrency %d, lease %lld ms, heartbeat %lld ms%s\n",
      loop.worker_id().c_str(), stores.engine.c_str(), o.concurrency,
      static_cast<long long>(o.lease_ms), static_cast<long long>(o.heartbeat_ms),
      diag ? ", diagnostic models on" : "");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "reel worker %s: %s, stopping (grace %lld ms)\n", loop.worker_id().c_str(),
               sig == SIGTERM ? "SIGTERM" : "SIGINT", static_cast<long long>(grace_ms));
  loop.stop(std::chrono::milliseconds(grace_ms));
  server::WorkerStats s = loop.stats();
  std::fprintf(stderr,
               "reel worker %s stopped: %lld claimed, %lld succeeded, %lld failed, %lld retrying, "
               "%lld canceled, %lld lease lost, %lld handed back\n",
               loop.worker_id().c_str(), (long long)s.claimed, (long long)s.succeeded,
               (long long)s.failed, (long long)s.retrying, (long long)s.canceled,
               (long long)s.lease_lost, (long long)s.abandoned);
  return 0;
}

}  // namespace reel::cli
