#include "reel/pipeline/executor.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/core/log.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/pipeline/preflight.hpp"
#include "step_request.hpp"

namespace reel::pipeline {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string device_of(const model::ModelCard& card) {
  return card.devices.empty() ? "cpu" : card.devices.front();
}

int machine_cores() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

bool is_video_task(model::Task t) {
  return model::output_type(t) == model::ValueType::video;
}

media::Mp4Options encode_options(const Step& step, const media::Mp4Options& base) {
  media::Mp4Options o = base;
  if (step.params.contains("crf")) o.crf = step.params["crf"].get<int>();
  if (step.params.contains("preset")) o.preset = step.params["preset"].get<std::string>();
  return o;
}

// A step's resolved facts: its model, seed, input keys and cache key.
struct Node {
  const Step* step = nullptr;
  std::shared_ptr<model::Model> model;
  std::uint64_t seed = 0;
  std::map<std::string, std::string> input_steps;  // slot → step id
  std::map<std::string, Artifact> fixed_inputs;    // slot → imported / stored artifact
  std::map<std::string, Hash128> input_keys;
  Hash128 key;
  bool cached = false;
  int order = 0;
};

std::vector<Node> resolve(const Graph& graph, const model::Registry& registry, ArtifactStore& store,
                          const RunOptions& options, bool import_files) {
  // Once per run, before anything reads a card: weights or a calibration may have
  // changed since the last run, and a card's version is part of every cache key.
  std::set<model::Model*> refreshed;
  for (const auto& step : graph.steps)
    if (auto m = registry.find(step.model); m && refreshed.insert(m.get()).second) m->refresh();
  ValidationOptions vo;
  vo.registry = &registry;
  vo.policy = options.policy;
  vo.limits = options.limits;
  ValidatedGraph vg = validate(graph, vo);
  preflight(vg);
  std::vector<Node> nodes;
  std::map<std::string, Hash128> keys;
  for (const auto& rs : vg.order) {
    Node n;
    n.step = rs.step;
    n.model = rs.model;
    n.seed = rs.step->seed.value_or(graph.seed);
    n.order = static_cast<int>(nodes.size());
    for (const auto& input : rs.step->inputs) {
      // Named references: clang 14 cannot capture structured bindings in lambdas.
      const std::string& slot = input.first;
      const std::string& ref = input.second;
      with_context("step '" + rs.step->id + "', input '" + slot + "'", [&] {
        if (ref.rfind("artifact:", 0) == 0) {
          Hash128 k = Hash128::from_hex(ref.substr(9));
          auto a = store.get(k);
          if (!a) throw Error(ErrorKind::NotFound, "artifact " + k.hex() + " is not in the store");
          n.fixed_inputs[slot] = *a;
          n.input_keys[slot] = k;
        } else if (ref.rfind("file:", 0) == 0) {
          fs::path path = ref.substr(5);
          if (path.is_relative() && !graph.base_dir.empty()) path = fs::path(graph.base_dir) / path;
          model::ImageResult img;
          img.image = media::read_image(path);
          Artifact a = import_files ? store.import_image(img) : Artifact{};
          if (!import_files) {
            a.key = xxh3_128(img.image.u8(), img.image.pixel_count() * 4);
            a.image = std::make_shared<model::ImageResult>(std::move(img));
          }
          n.fixed_inputs[slot] = a;
          n.input_keys[slot] = a.key;
        } else {
          n.input_steps[slot] = ref;
          n.input_keys[slot] = keys.at(ref);
        }
      });
    }
    n.key = step_key(*rs.step, rs.model->card(), n.seed, n.input_keys,
                     encode_options(*rs.step, options.video_encode));
    if (!options.cache_scope.empty())
      n.key = xxh3_128("reel-cache-scope\n" + options.cache_scope + "\n" + n.key.hex());
    n.cached = options.use_cache && store.contains(n.key);
    keys[rs.step->id] = n.key;
    nodes.push_back(std::move(n));
  }
  return nodes;
}

// Hosted calls in flight at once in one run. A started call (model::AsyncCalls) holds no
// thread while it waits: the cap bounds what one run asks of a provider's queue and of
// the store's pending-call table, not this machine.
constexpr int kProviderCalls = 256;
// A hosted call that cannot start that way (a synchronous provider: its one request is
// the whole wait) holds an executor thread until it ends.
constexpr int kProviderThreads = 16;
// Threads that store the outputs of started calls (decoding already ran on the call
// scheduler's): encoding a clip must not hold up the scheduler's polling.
constexpr std::size_t kFinishThreads = 2;

// Limits concurrent steps per slot kind: cpu, cuda, provider (started calls) and
// provider-thread.
class Slots {
 public:
  explicit Slots(std::map<std::string, int> limits) : limits_(std::move(limits)) {}
  static std::string kind_of(const std::string& device, bool started) {
    if (device.rfind("cuda", 0) == 0) return "cuda";
    if (device == "provider") return started ? "provider" : "provider-thread";
    return "cpu";
  }
  bool try_take(const std::string& kind) {
    int limit = limits_.count(kind) ? limits_[kind] : 1;
    if (used_[kind] >= limit) return false;
    used_[kind]++;
    return true;
  }
  void give(const std::string& kind) { used_[kind]--; }

 private:
  std::map<std::string, int> limits_;
  std::map<std::string, int> used_;
};

// Said beside an estimate that is a guess for this run: a figure measured on another kind
// of device than the one the step runs on (a GPU figure for a CPU run is far too low).
std::string estimate_warning(const model::ModelCard& card, model::EstimateSource source) {
  if (source == model::EstimateSource::price_rule) return "";
  const std::string runs_on = device_of(card), measured_on = card.cost.device;
  if (runs_on == "provider" || measured_on.empty() || measured_on == runs_on) return "";
  std::string w = "a " + measured_on + " figure (" + std::string(model::to_string(source)) +
                  ") for a step that runs on " + runs_on;
  if (source != model::EstimateSource::calibrated)
    w += "; run `reel calibrate " + card.id + " --device " + runs_on + "` for a real one";
  return w;
}

}  // namespace

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::step_started:
      return "started";
    case EventKind::step_progress:
      return "progress";
    case EventKind::step_finished:
      return "finished";
    case EventKind::step_cached:
      return "cached";
    case EventKind::step_failed:
      return "failed";
  }
  return "unknown";
}

Hash128 step_key(const Step& step, const model::ModelCard& card, std::uint64_t seed,
                 const std::map<std::string, Hash128>& input_keys,
                 const media::Mp4Options& video_encode) {
  Hasher h;
  h.add_field("reel-step-v1");
  h.add_field(model::to_string(step.task));
  h.add_field(card.id).add_field(card.version);
  h.add_field(canonical_json(step.params));
  h.add_u64(seed);
  for (const auto& [slot, key] : input_keys) {  // std::map: sorted by slot
    h.add_field(slot);
    h.add_u64(key.high).add_u64(key.low);
  }
  if (is_video_task(step.task)) {
    // The stored artifact is the encoded MP4, so encoding settings are part of it.
    h.add_field("mp4").add_u64(static_cast<std::uint64_t>(video_encode.crf));
    h.add_field(video_encode.preset).add_u64(video_encode.faststart ? 1 : 0);
  }
  return h.digest();
}

Executor::Executor(const model::Registry& registry, ArtifactStore& store)
    : registry_(registry), store_(store) {}

RunPlan Executor::plan(const Graph& graph, const RunOptions& options) const {
  auto nodes = resolve(graph, registry_, store_, options, /*import_files=*/false);
  RunPlan plan;
  int cores = options.cpu_cores > 0 ? options.cpu_cores : machine_cores();
  std::map<std::string, double> mp_by_step;
  for (const auto& n : nodes) {
    std::map<std::string, double> input_mp;
    for (auto& [slot, ref] : n.input_steps) input_mp[slot] = mp_by_step[ref];
    for (auto& [slot, a] : n.fixed_inputs)
      if (a.image) input_mp[slot] = a.image->image.pixel_count() / 1e6;
    const model::PlannedCall call = planned_call(*n.step, input_mp);
    mp_by_step[n.step->id] = is_video_task(n.step->task) ? 0 : call.megapixels;
    const auto& card = n.model->card();
    PlanStep ps;
    ps.step = n.step->id;
    ps.model = card.id;
    ps.key = n.key.hex();
    ps.cached = n.cached;
    ps.seconds = n.model->estimate_seconds(call);
    ps.estimate_source = std::string(model::to_string(n.model->estimate_source()));
    ps.estimate_warning = estimate_warning(card, n.model->estimate_source());
    if (card.price.paid()) {
      // A hosted call is priced by its provider's rule, not by the seconds spent waiting.
      const auto usd = n.model->estimate_usd(call);
      ps.usd = usd.value_or(0.0);
      ps.unpriced = !usd;
    } else {
      ps.usd = options.prices.price(device_of(card), Seconds(ps.seconds), cores).value;
    }
    if (!ps.cached) {
      plan.seconds += ps.seconds;
      plan.usd += ps.usd;
    }
    plan.steps.push_back(ps);
  }
  return plan;
}

Json RunPlan::to_json() const {
  Json j;
  j["steps"] = Json::array();
  for (auto& s : steps)
    j["steps"].push_back({{"step", s.step},
                          {"model", s.model},
                          {"key", s.key},
                          {"cached", s.cached},
                          {"estimated_seconds", s.seconds},
                          {"estimated_usd", s.usd},
                          {"estimate_source", s.estimate_source},
                          {"estimate_warning",
                           s.estimate_warning.empty() ? Json(nullptr) : Json(s.estimate_warning)},
                          {"unpriced", s.unpriced}});
  j["estimated_seconds"] = seconds;
  j["estimated_usd"] = usd;
  return j;
}

std::string RunPlan::to_text() const {
  std::ostringstream o;
  o << "plan (" << steps.size() << " steps):\n";
  for (auto& s : steps) {
    o << "  " << s.step << "  " << s.model << "  ";
    if (s.cached)
      o << "cached (no compute)\n";
    else
      o << "~" << format_seconds(Seconds(s.seconds)) << "  ~" << format_usd(Usd(s.usd)) << "  ("
        << s.estimate_source << ")"
        << (s.unpriced ? "  UNPRICED (the provider's price is not in the price sheet)" : "")
        << "\n";
    if (!s.estimate_warning.empty()) o << "    warning: " << s.estimate_warning << "\n";
  }
  o << "estimate: ~" << format_seconds(Seconds(seconds)) << ", ~" << format_usd(Usd(usd)) << "\n";
  return o.str();
}

RunResult Executor::run(const Graph& graph, const RunOptions& options) {
  const auto t_run = Clock::now();
  options.cancel.check();
  std::vector<Node> nodes = resolve(graph, registry_, store_, options, /*import_files=*/true);
  const int cores = options.cpu_cores > 0 ? options.cpu_cores : machine_cores();
  CostLedger ledger(options.prices, cores);
  auto emit = [&](Event e) {
    if (options.on_event) options.on_event(e);
  };

  // Shared run state, guarded by `m`.
  std::mutex m;
  std::condition_variable cv;
  std::map<std::string, Artifact> done;  // step id → artifact
  std::set<std::string> running;
  std::exception_ptr failure;
  std::string failed_step;
  CancelToken stop = options.cancel.child();  // cancelled on first failure too
  // Hosted calls wait on a provider, not on this machine: they do not take CPU slots.
  Slots slots({{"cpu", std::max(1, options.cpu_slots)},
               {"cuda", std::max(1, options.cuda_slots)},
               {"provider", kProviderCalls},
               {"provider-thread", kProviderThreads}});
  int executed = 0, cached = 0;
  std::vector<std::thread> threads;
  // A started step's context and inputs, alive until its step is finished.
  struct Started {
    std::map<std::string, Artifact> inputs;
    model::RunContext ctx;
    double last_progress = -1;
    Clock::time_point t0;
  };
  std::vector<std::unique_ptr<Started>> started_calls;
  // Started steps whose model reported the end, for the finisher threads (made with the
  // first started step, joined before run() returns).
  struct Ended {
    const Node* node;
    Started* started;
    std::exception_ptr error;
    StepOutput out;
  };
  std::deque<Ended> ended;
  std::condition_variable ended_cv;
  bool closing = false;
  std::vector<std::thread> finishers;

  // Each step's notes as the run reports them ("step 'x': ..."); the caller holds `m`.
  std::map<std::string, std::vector<std::string>> step_notes;
  auto add_notes = [&](const std::string& step, const std::vector<std::string>& ns) {
    std::vector<std::string>& mine = step_notes[step];
    for (auto& n : ns) mine.push_back("step '" + step + "': " + n);
    return mine;
  };

  // Cache hits for steps nobody downstream needs in memory are resolved lazily:
  // we only load a cached artifact when a step that runs needs it, or it is the
  // output.
  auto load_cached = [&](const Node& n) {
    auto a = store_.get(n.key);
    if (!a) throw Error(ErrorKind::Io, "artifact " + n.key.hex() + " vanished from the store");
    return *a;
  };

  // The step's context: its cache key, the pending-call table, progress events.
  auto context_of = [&](const Node& n, double& last) {
    const auto& card = n.model->card();
    model::RunContext ctx;
    ctx.cancel = stop;
    ctx.device = device_of(card);
    ctx.call_key = n.key.hex();
    ctx.pending = &store_;
    ctx.on_progress = [&emit, &stop, step = n.step->id, id = card.id, last = &last](
                          double f, std::string_view msg) {
      if (f - *last >= 0.01 || f >= 1.0) {
        *last = f;
        emit({EventKind::step_progress, step, id, f, std::string(msg), 0});
      }
      stop.check();
    };
    return ctx;
  };

  auto inputs_of = [&](const Node& n) {
    std::map<std::string, Artifact> inputs = n.fixed_inputs;
    std::lock_guard lock(m);
    for (auto& [slot, ref] : n.input_steps) inputs[slot] = done.at(ref);
    return inputs;
  };

  // A step that produced its output: store, cost, ledger, events and notes.
  auto finish_node = [&](const Node& n, const std::map<std::string, Artifact>& inputs,
                         StepOutput out, model::RunContext& ctx, Clock::time_point t0) {
    const auto& card = n.model->card();
    const std::string device = device_of(card);
    stop.check();
    std::optional<Usd> billed;
    if (auto b = out.type == model::ValueType::video ? out.video.billed_usd : out.image.billed_usd)
      billed = Usd(*b);
    std::optional<Usd> rule;
    if (card.price.paid()) {
      std::map<std::string, double> input_mp;
      for (auto& [slot, a] : inputs)
        if (a.image) input_mp[slot] = a.image->image.pixel_count() / 1e6;
      if (auto usd = n.model->estimate_usd(planned_call(*n.step, input_mp))) rule = Usd(*usd);
    }
    StoreEntry info;
    info.model = card.id;
    info.step = n.step->id;
    // A local clip's encoding stops on a cancel (seconds for a long clip); a paid one is
    // stored anyway: its money is spent, and a re-run then finds it in the cache.
    const CancelToken encode_cancel = card.price.paid() ? CancelToken() : ctx.cancel;
    Artifact a = with_context("storing the output of step '" + n.step->id + "'", [&] {
      return out.type == model::ValueType::video
                 ? store_.put_video(n.key, std::move(out.video), info,
                                    encode_options(*n.step, options.video_encode), encode_cancel)
                 : store_.put_image(n.key, std::move(out.image), info);
    });
    double secs = seconds_since(t0);
    double usd = 0;
    if (card.price.paid()) {
      ledger.record_paid(n.step->id, card.id, Seconds(secs), rule, billed, n.key.hex());
      usd = (billed ? *billed : rule.value_or(Usd(0))).value;
      store_.set_cost(n.key, 0.0, usd);
      ctx.pending->remove_pending(ctx.call_key);  // stored: a re-run is a cache hit now
    } else {
      ledger.record_run(n.step->id, card.id, device, Seconds(secs), n.key.hex());
      // What a later cache hit saves is what this run is billed, storing included.
      usd = options.prices.price(device, Seconds(secs), cores).value;
      store_.set_cost(n.key, secs, usd);
    }
    std::vector<std::string> said;
    {
      std::lock_guard lock(m);
      said = add_notes(n.step->id, a.video ? a.video->notes : a.image->notes);
    }
    emit({EventKind::step_finished, n.step->id, card.id, 1.0, "", secs, usd, std::move(said)});
    std::lock_guard lock(m);
    done[n.step->id] = std::move(a);
    executed++;
  };

  // The step's error (the current exception) as the run's failure when it is the first.
  auto fail_node = [&](const Node& n, Clock::time_point t0) {
    std::lock_guard lock(m);
    if (!failure) {
      failure = std::current_exception();
      failed_step = n.step->id;
      stop.cancel();
    }
    std::string msg;
    try {
      throw;
    } catch (const std::exception& e) {
      msg = e.what();
    }
    emit({EventKind::step_failed, n.step->id, n.model->card().id, 0, msg, seconds_since(t0)});
  };

  auto release = [&](const Node& n, const std::string& slot) {
    {
      std::lock_guard lock(m);
      running.erase(n.step->id);
      slots.give(slot);
    }
    cv.notify_all();
  };

  auto with_step_context = [](const Node& n, auto&& fn) {
    return with_context("step '" + n.step->id + "' (" + n.model->card().id + ")", fn);
  };

  // On a thread of its own, from start to end.
  auto run_node = [&](const Node& n, std::string slot) {
    const auto t0 = Clock::now();
    try {
      std::map<std::string, Artifact> inputs = inputs_of(n);
      emit({EventKind::step_started, n.step->id, n.model->card().id, 0, "", 0});
      double last = -1;
      model::RunContext ctx = context_of(n, last);
      StepOutput out = with_step_context(
          n, [&] { return run_step_model(*n.step, *n.model, n.seed, inputs, ctx); });
      finish_node(n, inputs, std::move(out), ctx, t0);
    } catch (...) {
      fail_node(n, t0);
    }
    release(n, slot);
  };

  // A started step's end, on a finisher: the model's error, or its output stored.
  auto finish_started = [&](const Node& n, Started& st, std::exception_ptr error, StepOutput out) {
    try {
      if (error) with_step_context(n, [&] { std::rethrow_exception(error); });
      finish_node(n, st.inputs, std::move(out), st.ctx, st.t0);
    } catch (...) {
      fail_node(n, st.t0);
    }
    release(n, "provider");
  };

  auto finisher_loop = [&] {
    std::unique_lock lock(m);
    for (;;) {
      ended_cv.wait(lock, [&] { return closing || !ended.empty(); });
      if (ended.empty()) return;
      Ended e = std::move(ended.front());
      ended.pop_front();
      lock.unlock();
      finish_started(*e.node, *e.started, e.error, std::move(e.out));
      lock.lock();
    }
  };

  // Started from the scheduling loop (the lock not held): the model reports the end on
  // its own thread, which queues it for a finisher under the lock (so nothing of the
  // run is touched once the lock is released).
  auto start_node = [&](const Node& n, model::AsyncCalls& am, Started& st) {
    st.t0 = Clock::now();
    try {
      st.inputs = inputs_of(n);
      emit({EventKind::step_started, n.step->id, n.model->card().id, 0, "", 0});
      st.ctx = context_of(n, st.last_progress);
      with_step_context(n, [&] {
        start_step_model(
            *n.step, am, n.seed, st.inputs, st.ctx,
            [&m, &ended, &ended_cv, np = &n, sp = &st](std::exception_ptr error, StepOutput out) {
              std::lock_guard lock(m);
              ended.push_back({np, sp, error, std::move(out)});
              ended_cv.notify_one();
            });
      });
    } catch (...) {
      fail_node(n, st.t0);
      release(n, "provider");
    }
  };

  // Which steps must have their artifact in memory: inputs of steps that run, and
  // the output step.
  std::set<std::string> needed{graph.output_step()};
  for (const auto& n : nodes)
    if (!n.cached)
      for (auto& [slot, ref] : n.input_steps) needed.insert(ref);

  std::vector<bool> started(nodes.size(), false);
  {
    std::unique_lock lock(m);
    for (;;) {
      if (options.cancel.cancelled() && !failure) {
        failure = std::make_exception_ptr(Error(ErrorKind::Cancelled, "run cancelled"));
        stop.cancel();
      }
      if (failure && running.empty()) break;
      bool all_done = true;
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Node& n = nodes[i];
        if (started[i]) continue;
        all_done = false;
        if (failure) continue;
        if (n.cached) {
          started[i] = true;
          const auto& card = n.model->card();
          auto entry = store_.entry(n.key);
          Usd saved(entry ? entry->usd : 0.0);
          ledger.record_cached(n.step->id, card.id, device_of(card), saved,
                               Seconds(entry ? entry->compute_seconds : 0.0), n.key.hex());
          std::vector<std::string> said;
          if (needed.count(n.step->id)) {
            lock.unlock();
            Artifact a = load_cached(n);
            lock.lock();
            said = add_notes(n.step->id, a.video ? a.video->notes : a.image->notes);
            done[n.step->id] = std::move(a);
          } else {
            // Not loaded, but what its model said still holds for this run's output.
            lock.unlock();
            std::vector<std::string> stored = store_.notes_of(n.key);
            lock.lock();
            said = add_notes(n.step->id, stored);
            Artifact a;
            a.key = n.key;
            a.type = model::output_type(n.step->task);
            done[n.step->id] = a;
          }
          cached++;
          emit({EventKind::step_cached, n.step->id, card.id, 1.0, "", 0, 0, std::move(said)});
          continue;
        }
        bool ready = true;
        for (auto& [slot, ref] : n.input_steps) ready = ready && done.count(ref);
        if (!ready) continue;
        model::AsyncCalls* am = async_model(*n.step, *n.model);
        const std::string slot = Slots::kind_of(device_of(n.model->card()), am != nullptr);
        if (!slots.try_take(slot)) continue;
        started[i] = true;
        running.insert(n.step->id);
        if (!am) {
          threads.emplace_back(run_node, std::cref(n), slot);
          continue;
        }
        while (finishers.size() < kFinishThreads) finishers.emplace_back(finisher_loop);
        started_calls.push_back(std::make_unique<Started>());
        Started& st = *started_calls.back();
        lock.unlock();
        start_node(n, *am, st);
        lock.lock();
      }
      if (all_done && running.empty()) break;
      // This pass may have started (or resolved from the cache) everything left.
      if (running.empty() && std::all_of(started.begin(), started.end(), [](bool b) { return b; }))
        continue;
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }
  for (auto& t : threads) t.join();
  {
    std::lock_guard lock(m);
    closing = true;
  }
  ended_cv.notify_all();
  for (auto& t : finishers) t.join();

  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (Error& e) {
      if (e.kind() != ErrorKind::Cancelled || !failed_step.empty())
        e.add_context("pipeline '" + graph.name + "'");
      throw;
    } catch (const std::exception& e) {
      throw Error(ErrorKind::Internal,
                  "pipeline '" + graph.name + "', step '" + failed_step + "': " + e.what());
    }
  }

  RunResult result;
  result.artifacts = std::move(done);
  result.output = result.artifacts.at(graph.output_step());
  result.executed = executed;
  result.cached = cached;
  auto steps = ledger.steps();
  std::map<std::string, int> order;
  for (auto& n : nodes) order[n.step->id] = n.order;
  std::sort(steps.begin(), steps.end(),
            [&](const StepCost& a, const StepCost& b) { return order[a.step] < order[b.step]; });
  for (auto& s : steps) s.notes = step_notes[s.step];  // in step order, as result.notes
  result.cost.steps = std::move(steps);
  result.cost.wall_seconds = Seconds(seconds_since(t_run));
  result.cost.prices = options.prices;
  result.cost.cpu_cores = cores;
  if (result.output.type == model::ValueType::video)
    result.cost.video_seconds = result.output.duration_seconds;
  result.notes = result.cost.notes();
  return result;
}

}  // namespace reel::pipeline
