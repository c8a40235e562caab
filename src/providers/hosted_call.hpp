#pragma once
// One hosted call as a resumable state machine: each step() is at most one short
// exchange with the provider (a submission, a status request and its result request, a
// download) and says when to come back, so a few threads can drive hundreds of calls
// that each wait minutes (call_scheduler.hpp), and a blocking caller can drive one
// (run_call). The protocol is call_engine.hpp's, whatever drives it.
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "providers/call_engine.hpp"

namespace reel::providers {

class HostedCall {
 public:
  using Clock = std::chrono::steady_clock;

  // Reads the keys (NotFound naming the variables when one is missing) and the base URL;
  // sends nothing. `ctx` must outlive the call.
  HostedCall(const Provider& provider, const ProviderOptions& options, CallInput input,
             model::RunContext& ctx);
  ~HostedCall();
  HostedCall(const HostedCall&) = delete;
  HostedCall& operator=(const HostedCall&) = delete;

  // Advances the call by one exchange over `http`. Returns when to call again (now, after
  // a submission; later, between polls), or nullopt once output() is ready. Throws what
  // the blocking call throws; a cancelled context is seen here (the provider's cancel
  // endpoint is called from here too), so a driver only needs to call step() early once
  // cancelled() is true.
  std::optional<Clock::time_point> step(CurlHttp& http);
  bool cancelled() const { return ctx_.cancel.cancelled(); }
  // The call's result, once step() returned nullopt.
  CallOutput take_output() { return std::move(out_); }

 private:
  enum class Phase { start, submit, poll, download, done };

  std::optional<Clock::time_point> start();
  std::optional<Clock::time_point> submit();
  std::optional<Clock::time_point> poll();  // poll_once, cancelling at the provider on a cancel
  std::optional<Clock::time_point> poll_once();
  void download();
  void record_task();
  void start_polling();
  void forget();

  // The exchanges themselves and the provider's words (hosted_call.cpp).
  struct Session;
  std::unique_ptr<Session> s_;
  const CallInput in_;
  model::RunContext& ctx_;
  Phase phase_ = Phase::start;
  CallOutput out_;
  Json task_ = Json::object();
  TaskStatus status_;
  bool finished_ = false;  // a synchronous provider answered with the outcome
  bool can_record_ = false;
  int submit_attempts_ = 0;
  int failures_ = 0;              // consecutive 429/5xx/transport failures while polling
  Clock::time_point deadline_{};  // set when polling starts
  std::chrono::milliseconds interval_, max_interval_;
  std::mt19937 jitter_{std::random_device{}()};
};

}  // namespace reel::providers
