// One attempt of one job (see job_runner.hpp): spec → graph → Executor, with a supervisor
// that heartbeats the lease, relays events, watches for cancels and for the job's spend
// passing its cap (budget_watch.hpp), then the fenced end.
#include "job_runner.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "budget_watch.hpp"
#include "output_signing.hpp"
#include "reel/core/log.hpp"
#include "reel/pipeline/executor.hpp"
#include "reel/pipeline/pipeline_file.hpp"
#include "reel/pipeline/preflight.hpp"

namespace reel::server {
namespace {

using Clock = std::chrono::steady_clock;

// How often a running job's cancel request is looked for. The heartbeat (lease_ms / 3,
// 10 s by default) is far too slow for docs/remote.md's "about a second" from Ctrl-C to
// canceled; the read is one indexed row.
constexpr auto kCancelPoll = std::chrono::milliseconds(100);

// Progress events are throttled so a model reporting every frame does not turn into a
// database write per frame: at most one per step every 250 ms, plus the last.
constexpr auto kProgressEvery = std::chrono::milliseconds(250);

void refuse_file_refs(const pipeline::Graph& g) {
  for (const auto& s : g.steps)
    for (const auto& [slot, ref] : s.inputs)
      if (ref.rfind("file:", 0) == 0)
        throw Error(ErrorKind::InvalidInput,
                    "step '" + s.id + "' input '" + slot +
                        "': file: references are not allowed in jobs; allowed: a step id or "
                        "artifact:<32 hex> (upload files with POST /v1/artifacts)");
}

std::string media_type_of(model::ValueType t) {
  return t == model::ValueType::video ? "video/mp4" : "image/png";
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// What the attempt did, kept for the end: the executor's outcome and the cost of the steps
// that finished (charged when a running job is canceled).
struct Outcome {
  std::optional<pipeline::RunResult> result;
  std::exception_ptr failure;
  double finished_steps_usd = 0;
};

// Relays executor events (which arrive on executor threads) to the supervisor, which
// alone writes to the store.
class EventQueue {
 public:
  void push(pipeline::Event e) {
    {
      std::lock_guard lock(m_);
      q_.push_back(std::move(e));
    }
    cv_.notify_one();
  }
  void finish() {
    {
      std::lock_guard lock(m_);
      done_ = true;
    }
    cv_.notify_one();
  }
  // Waits until an event arrives, the run finishes or `until`; returns what is queued.
  std::deque<pipeline::Event> wait(Clock::time_point until, bool& done) {
    std::unique_lock lock(m_);
    cv_.wait_until(lock, until, [&] { return done_ || !q_.empty(); });
    done = done_;
    return std::exchange(q_, {});
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<pipeline::Event> q_;
  bool done_ = false;
};

class Attempt {
 public:
  Attempt(const RunnerEnv& env, const Job& job, const Lease& lease, const CancelToken& abandon)
      : env_(env), job_(job), lease_(lease), abandon_(abandon) {}

  AttemptReport run() {
    report_.job_id = job_.id;
    report_.attempt = lease_.attempt;
    pipeline::Graph graph;
    try {
      graph = graph_from_job_spec(job_.spec);
      pipeline::ValidationOptions vo;
      vo.registry = env_.registry;
      vo.limits = env_.limits;
      vo.policy = job_policy(job_.spec);  // checked at submission too; models may change
      pipeline::validate(graph, vo);
    } catch (const Error& e) {
      return end_failed(e.kind(), e.what());
    } catch (const std::exception& e) {
      return end_failed(ErrorKind::InvalidInput, std::string("job spec: ") + e.what());
    }
    // The key may have been revoked after the job was queued (the revoke and this claim
    // can race): such a job never starts, and its reservation goes back. One read gives
    // that and the job's cap.
    const std::optional<JobCharge> charge = charge_of_job();
    if (charge ? charge->key_revoked : key_revoked()) return end_key_revoked();
    watch_.emplace(env_, charge);
    Outcome out = execute(graph);
    if (lost_)
      return end(AttemptEnd::lease_lost, "the lease was lost (another worker has the job)");
    if (out.result) return end_succeeded(graph, *out.result);
    if (watch_->exhausted())
      return end_budget_exhausted(out.finished_steps_usd + watch_->interrupted_usd());
    if (cancel_asked_) return end_canceled(out.finished_steps_usd);
    if (abandon_.cancelled()) return end_abandoned();
    try {
      std::rethrow_exception(out.failure);
    } catch (const pipeline::ModelUnavailable& e) {
      // The job's error is the API client's to read: the needs, not this worker's paths.
      log_warn("job " + job_.id + ": " + e.what());
      return end_failed(e.kind(), e.public_message());
    } catch (const Error& e) {
      return end_failed(e.kind(), e.what());
    } catch (const std::bad_alloc&) {
      return end_failed(ErrorKind::OutOfMemory, "out of memory");
    } catch (const std::exception& e) {
      return end_failed(ErrorKind::Internal, e.what());
    }
  }

 private:
  Outcome execute(const pipeline::Graph& graph) {
    Outcome out;
    EventQueue events;
    pipeline::RunOptions ro;
    ro.cpu_slots = env_.cpu_slots;
    ro.limits = env_.limits;
    // Each key's cache is its own: no key learns from a hit what another key made.
    ro.cache_scope = job_.api_key_id;
    ro.prices = env_.prices;
    ro.cpu_cores = watch_->cpu_cores();  // the ledger prices what the watch estimates
    ro.on_event = [&](const pipeline::Event& e) { events.push(e); };
    CancelToken token = ro.cancel;
    steps_total_ = static_cast<int>(graph.steps.size());

    std::thread runner([&] {
      try {
        pipeline::Executor executor(*env_.registry, *env_.artifacts);
        out.result = executor.run(graph, ro);
      } catch (...) {
        out.failure = std::current_exception();
      }
      events.finish();
    });

    auto next_beat = Clock::now() + std::chrono::milliseconds(env_.heartbeat_ms);
    auto next_cancel_poll = Clock::now() + kCancelPoll;
    // Abandonment is noticed at least every 100 ms (it has no store read behind it).
    const auto tick = std::chrono::milliseconds(std::min<std::int64_t>(env_.heartbeat_ms, 100));
    bool done = false;
    while (!done) {
      auto batch = events.wait(std::min(next_beat, Clock::now() + tick), done);
      for (const auto& e : batch) relay(e, out);
      // Measured spend = finished steps + running steps' elapsed time at their price; the
      // job stops when it reaches the cap (a long single step is watched while it runs).
      if (!lost_ && !watch_->exhausted() && watch_->over_cap(out.finished_steps_usd))
        log_info("job " + job_.id + ": stopped: its spend reached its cap of $" +
                 std::to_string(watch_->cap_usd()));
      if (watch_->exhausted()) token.cancel();
      if (!lost_ && !cancel_asked_ && Clock::now() >= next_cancel_poll) {
        next_cancel_poll = Clock::now() + kCancelPoll;
        try {
          cancel_asked_ = env_.jobs->cancel_requested(lease_);
        } catch (const std::exception& e) {
          log_warn("job " + job_.id + ": reading its cancel request failed: " + e.what());
        }
      }
      if (!lost_ && Clock::now() >= next_beat) {
        next_beat = Clock::now() + std::chrono::milliseconds(env_.heartbeat_ms);
        try {
          if (!env_.jobs->heartbeat(lease_, env_.lease_ms, wall_ms())) {
            lost_ = true;
            log_warn("job " + job_.id + ": heartbeat refused: the lease is no longer current");
          }
        } catch (const std::exception& e) {
          // Unconfirmed: try again soon; if the lease runs out meanwhile, the next beat
          // says so.
          log_warn("job " + job_.id + ": heartbeat failed: " + e.what());
          next_beat = Clock::now() +
                      std::chrono::milliseconds(std::min<std::int64_t>(env_.heartbeat_ms, 1000));
        }
      }
      if (lost_ || cancel_asked_ || abandon_.cancelled()) token.cancel();
    }
    runner.join();
    return out;
  }

  // A fenced write: once one returns false the attempt has lost the job and writes nothing
  // more. A store that throws (database unreachable) is retried when the write matters
  // (the attempt's end); an event or progress write is dropped instead. An end that could
  // not be written is treated like a lost lease: the lease runs out and another worker
  // runs the job again.
  template <class Fn>
  void fenced(const char* what, Fn&& write, bool must = false) {
    if (lost_) return;
    for (int i = 0;; ++i) {
      try {
        if (!write()) {
          lost_ = true;
          log_warn("job " + job_.id + ": " + what + " refused: the lease is no longer current");
        }
        return;
      } catch (const std::exception& e) {
        log_warn("job " + job_.id + ": " + what + " failed: " + e.what());
        if (!must || i >= 5) {
          if (must) lost_ = true;
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100 << i));
      }
    }
  }

  // Settling and releasing are idempotent per job, so they are simply retried.
  template <class Fn>
  void money(Fn&& write) {
    if (!env_.keys) return;
    for (int i = 0;; ++i) {
      try {
        write(*env_.keys);
        return;
      } catch (const std::exception& e) {
        log_warn("job " + job_.id + ": key store write failed: " + e.what());
        if (i >= 5) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100 << i));
      }
    }
  }

  void relay(const pipeline::Event& e, Outcome& out) {
    using pipeline::EventKind;
    Json data{{"step", e.step}, {"model", e.model}};
    if (!e.notes.empty()) data["notes"] = e.notes;  // as the job's result lists them
    watch_->on_event(e);
    switch (e.kind) {
      case EventKind::step_started:
        data["state"] = "started";
        fenced("append event", [&] { return env_.jobs->append_event(lease_, "step", data); });
        write_progress(e.step, 0);
        break;
      case EventKind::step_progress: {
        // The first report of a step and then one per kProgressEvery; a step's end is
        // reported by its "finished" event.
        auto now = Clock::now();
        auto& last = last_progress_[e.step];
        if (e.fraction >= 1.0 || (last != Clock::time_point{} && now - last < kProgressEvery))
          break;
        last = now;
        data["fraction"] = e.fraction;
        if (!e.message.empty()) data["message"] = e.message;
        fenced("append event", [&] { return env_.jobs->append_event(lease_, "progress", data); });
        write_progress(e.step, e.fraction);
        break;
      }
      case EventKind::step_finished: {
        steps_done_ += 1;
        data["state"] = "finished";
        data["seconds"] = e.seconds;
        fenced("append event", [&] { return env_.jobs->append_event(lease_, "step", data); });
        write_progress(e.step, 1.0);
        // Its artifact is stored and will serve later cache hits: a canceled job pays it,
        // at what the executor charged it (a provider's bill included, not $0).
        out.finished_steps_usd += e.usd;
        break;
      }
      case EventKind::step_cached:
        steps_done_ += 1;
        fenced("append event", [&] { return env_.jobs->append_event(lease_, "cached", data); });
        write_progress(e.step, 1.0);
        break;
      case EventKind::step_failed:
        data["state"] = "failed";
        data["message"] = e.message;
        fenced("append event", [&] { return env_.jobs->append_event(lease_, "step", data); });
        break;
    }
  }

  void write_progress(const std::string& step, double fraction) {
    Json p{{"step", step},
           {"fraction", fraction},
           {"steps_done", steps_done_},
           {"steps_total", steps_total_}};
    fenced("progress", [&] { return env_.jobs->progress(lease_, p); });
  }

  AttemptReport end(AttemptEnd how, std::string error) {
    report_.end = how;
    report_.error = std::move(error);
    report_.seconds = seconds_since(t0_);
    return report_;
  }

  // The money is written before the job's last state, so a client that sees the job
  // finished also sees its usage settled. The lease is confirmed just before, so a worker
  // that has lost the job touches no money; in the instant between, the worst case is
  // still one ledger entry per job (settle and release are idempotent, and the new
  // holder's settle after a settle or release is a no-op).
  bool confirm_lease() {
    fenced(
        "heartbeat", [&] { return env_.jobs->heartbeat(lease_, env_.lease_ms, wall_ms()); }, true);
    return !lost_;
  }

  AttemptReport end_succeeded(const pipeline::Graph& graph, const pipeline::RunResult& run) {
    if (env_.sign_outputs) {
      try {
        sign_job_artifacts(*env_.registry, *env_.artifacts, graph, run);
      } catch (const Error& e) {
        return end_failed(ErrorKind::Internal,
                          std::string("signing the outputs (reel keys init?): ") + e.what());
      }
    }
    Json result = job_result_json(graph, run);
    if (env_.sign_outputs)  // each download carries its Content Credentials
      for (auto& [step, a] : result["artifacts"].items()) a["signed"] = true;
    if (!confirm_lease())
      return end(AttemptEnd::lease_lost, "the lease was lost before completion");
    report_.usd = run.cost.total_usd().value;
    money([&](KeyStore& k) { k.settle(job_.id, report_.usd); });
    fenced(
        "complete", [&] { return env_.jobs->complete(lease_, result); }, true);
    if (lost_) return end(AttemptEnd::lease_lost, "the lease was lost before completion");
    send_job_webhook(env_, job_, JobStatus::succeeded, Json{{"result", result}});
    return end(AttemptEnd::succeeded, "");
  }

  AttemptReport end_canceled(double finished_usd) {
    if (!confirm_lease())
      return end(AttemptEnd::lease_lost, "the lease was lost before the cancel");
    money([&](KeyStore& k) {
      if (finished_usd > 0)
        k.settle(job_.id, finished_usd);
      else
        k.release(job_.id);
    });
    fenced(
        "mark canceled", [&] { return env_.jobs->mark_canceled(lease_); }, true);
    if (lost_) return end(AttemptEnd::lease_lost, "the lease was lost before the cancel");
    report_.usd = finished_usd;
    send_job_webhook(env_, job_, JobStatus::canceled, Json::object());
    return end(AttemptEnd::canceled, "canceled");
  }

  // The spend reached the job's cap: failed for good (a retry would overspend again) with
  // the reason budget-exhausted, charged what it used — the finished steps (kept in the
  // cache) and the interrupted step's time — which settle() caps at the job's cap and the
  // key's budget.
  AttemptReport end_budget_exhausted(double used_usd) {
    const std::string reason = budget_exhausted_reason(used_usd, *watch_);
    if (!confirm_lease()) return end(AttemptEnd::lease_lost, reason);
    fenced("append event", [&] {
      return env_.jobs->append_event(lease_, "budget-exhausted",
                                     Json{{"used_usd", used_usd},
                                          {"cap_usd", watch_->cap_usd()},
                                          {"reserved_usd", watch_->reserved_usd()}});
    });
    money([&](KeyStore& k) {
      if (used_usd > 0)
        k.settle(job_.id, used_usd);
      else
        k.release(job_.id);
    });
    fenced(
        "fail", [&] { return env_.jobs->fail(lease_, reason, false, wall_ms()); }, true);
    if (lost_) return end(AttemptEnd::lease_lost, reason);
    report_.usd = used_usd;
    send_job_webhook(env_, job_, JobStatus::failed, Json{{"error", reason}});
    return end(AttemptEnd::failed, reason);
  }

  // For a job that was never admitted (no charge row): the key itself.
  bool key_revoked() {
    if (!env_.keys) return false;
    try {
      auto key = env_.keys->get(job_.api_key_id);
      return key && key->revoked;
    } catch (const std::exception& e) {
      log_warn("job " + job_.id + ": reading its API key failed: " + e.what());
      return false;  // settle/release at the end meet the same store and retry
    }
  }

  AttemptReport end_key_revoked() {
    const std::string reason = "the job's API key " + job_.api_key_id + " was revoked";
    if (!confirm_lease()) return end(AttemptEnd::lease_lost, reason);
    fenced("append event", [&] {
      return env_.jobs->append_event(lease_, "key-revoked", Json{{"key_id", job_.api_key_id}});
    });
    money([&](KeyStore& k) { k.release(job_.id); });
    fenced(
        "mark canceled", [&] { return env_.jobs->mark_canceled(lease_); }, true);
    if (lost_) return end(AttemptEnd::lease_lost, reason);
    send_job_webhook(env_, job_, JobStatus::canceled, Json::object());
    return end(AttemptEnd::canceled, reason);
  }

  std::optional<JobCharge> charge_of_job() {
    if (!env_.keys) return std::nullopt;
    try {
      return env_.keys->charge(job_.id);
    } catch (const std::exception& e) {
      // Unwatched, not unbounded: settle() still caps the charge at the key's budget.
      log_warn("job " + job_.id + ": reading its reservation failed: " + e.what());
      return std::nullopt;
    }
  }

  // A retryable failure (or a stop) with attempts left goes back to the queue and keeps its
  // reservation; otherwise the job fails for good and the reservation is released.
  AttemptReport end_with_failure(const std::string& reason, bool retry, AttemptEnd requeued) {
    // The store requeues a retryable failure while attempts are left (job_store.hpp).
    const bool final = !retry || lease_.attempt >= job_.max_attempts;
    if (final) {
      if (!confirm_lease()) return end(AttemptEnd::lease_lost, reason);
      money([&](KeyStore& k) { k.release(job_.id); });
    }
    fenced(
        "fail", [&] { return env_.jobs->fail(lease_, reason, retry, wall_ms()); }, true);
    if (lost_) return end(AttemptEnd::lease_lost, reason);
    if (final) send_job_webhook(env_, job_, JobStatus::failed, Json{{"error", reason}});
    return end(final ? AttemptEnd::failed : requeued, reason);
  }

  AttemptReport end_abandoned() {
    return end_with_failure("worker " + env_.worker_id + " stopped before the job finished",
                            /*retry=*/true, AttemptEnd::abandoned);
  }

  AttemptReport end_failed(ErrorKind kind, const std::string& what) {
    return end_with_failure(std::string(to_string(kind)) + ": " + what, is_retryable(kind),
                            AttemptEnd::retrying);
  }

  const RunnerEnv& env_;
  const Job& job_;
  const Lease& lease_;
  const CancelToken& abandon_;
  AttemptReport report_;
  Clock::time_point t0_ = Clock::now();
  bool lost_ = false;
  bool cancel_asked_ = false;
  int steps_done_ = 0, steps_total_ = 0;
  std::map<std::string, Clock::time_point> last_progress_;
  std::optional<BudgetWatch> watch_;
};

}  // namespace

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_retryable(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Io:
    case ErrorKind::OutOfMemory:
    case ErrorKind::ModelLoad:
    case ErrorKind::Internal:
      return true;
    case ErrorKind::InvalidInput:
    case ErrorKind::NotFound:
    case ErrorKind::Policy:
    case ErrorKind::Budget:
    case ErrorKind::Unsupported:
    case ErrorKind::Cancelled:
      return false;
  }
  return false;
}

pipeline::Graph graph_from_job_spec(const Json& spec) {
  if (!spec.is_object())
    throw Error(ErrorKind::InvalidInput,
                "job spec must be a JSON object with \"pipeline\" or \"task\"");
  Json pipe;
  if (spec.contains("pipeline")) {
    pipe = spec["pipeline"];
    if (!pipe.is_object())
      throw Error(ErrorKind::InvalidInput, "job spec: \"pipeline\" must be an object");
  } else if (spec.contains("task")) {
    Json step{{"id", "output"}, {"task", spec["task"]}};
    for (const char* k : {"model", "params", "inputs"})
      if (spec.contains(k)) step[k] = spec[k];
    pipe = Json{{"reel", 1}, {"name", "job"}, {"steps", Json::array({step})}};
    if (spec.contains("seed")) pipe["seed"] = spec["seed"];
  } else {
    throw Error(ErrorKind::InvalidInput,
                "job spec has neither \"pipeline\" nor \"task\"; allowed: {\"pipeline\": {...}} "
                "or {\"task\": ..., \"model\": ..., \"params\": {...}}");
  }
  pipeline::Graph g = pipeline::parse_pipeline(pipe.dump(), pipeline::FileFormat::json, "job spec");
  refuse_file_refs(g);
  g.base_dir.clear();
  return g;
}

Json job_result_json(const pipeline::Graph& graph, const pipeline::RunResult& run) {
  Json artifacts = Json::object();
  for (const auto& [step, a] : run.artifacts) {
    std::string hash = a.key.hex();
    artifacts[step] = Json{{"hash", hash},
                           {"kind", std::string(model::to_string(a.type))},
                           {"media_type", media_type_of(a.type)},
                           {"url", "/v1/artifacts/" + hash}};
  }
  return Json{{"output", graph.output_step()},
              {"artifacts", artifacts},
              {"notes", run.notes},  // what the CLI prints as "note:", never dropped here
              {"cost", run.cost.to_json()},
              {"executed", run.executed},
              {"cached", run.cached}};
}

AttemptReport run_job_attempt(const RunnerEnv& env, const Job& job, const Lease& lease,
                              const CancelToken& abandon) {
  return Attempt(env, job, lease, abandon).run();
}

}  // namespace reel::server
