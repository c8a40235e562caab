#pragma once
// Drives many hosted calls on a few threads. A timer thread keeps every waiting call in a
// heap by its wake time and hands due ones to a small pool of workers; a worker does one
// step of the call (one short exchange, hosted_call.hpp) and gives it back with its next
// wake time. A call waiting between polls holds no thread, so the number of calls in
// flight is bounded by the caller's cap, not by threads. Cancelled calls are looked for
// every 25 ms and stepped at once (the step calls the provider's cancel endpoint).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "providers/hosted_call.hpp"

namespace reel::providers {

class CallScheduler {
 public:
  // The call's output, or the error its blocking form would have thrown. Must not throw.
  using Done = std::function<void(std::exception_ptr error, CallOutput output)>;
  static constexpr int kWorkers = 4;

  // The process's scheduler: its threads start on first use and are never stopped, since
  // calls may still be in flight while static destructors run.
  static CallScheduler& shared();

  // Takes the call and returns at once; `done` is called once, on a worker, after the
  // call (and so its hold on the RunContext) has been destroyed.
  void start(std::unique_ptr<HostedCall> call, Done done);

 private:
  using Clock = HostedCall::Clock;
  struct Job {
    std::unique_ptr<HostedCall> call;
    Done done;
  };
  struct Waiting {
    Clock::time_point due;
    std::uint64_t order;  // ties keep their arrival order
    std::shared_ptr<Job> job;
  };

  static bool later(const Waiting& a, const Waiting& b);  // the heap's order

  CallScheduler();
  void schedule(std::shared_ptr<Job> job, Clock::time_point due);
  void timer_loop();
  void worker_loop();

  std::mutex m_;
  std::condition_variable timer_cv_, work_cv_;
  std::vector<Waiting> heap_;               // earliest `due` at the front
  std::deque<std::shared_ptr<Job>> ready_;  // due: for the next free worker
  std::uint64_t next_order_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace reel::providers
