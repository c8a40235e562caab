#include "providers/call_scheduler.hpp"

#include <algorithm>

namespace reel::providers {
namespace {

// How often waiting calls are checked for a cancel: a Ctrl-C reaches the provider's cancel
// endpoint within about this long, as it did when each call slept on its own thread.
constexpr std::chrono::milliseconds kCancelCheck{25};

}  // namespace

CallScheduler& CallScheduler::shared() {
  // Leaked on purpose: see the header.
  static CallScheduler* scheduler = new CallScheduler();
  return *scheduler;
}

CallScheduler::CallScheduler() {
  threads_.emplace_back([this] { timer_loop(); });
  for (int i = 0; i < kWorkers; ++i) threads_.emplace_back([this] { worker_loop(); });
  for (auto& t : threads_) t.detach();
}

void CallScheduler::start(std::unique_ptr<HostedCall> call, Done done) {
  schedule(std::make_shared<Job>(Job{std::move(call), std::move(done)}), Clock::now());
}

void CallScheduler::schedule(std::shared_ptr<Job> job, Clock::time_point due) {
  std::lock_guard lock(m_);
  if (due <= Clock::now()) {
    ready_.push_back(std::move(job));
    work_cv_.notify_one();
    return;
  }
  heap_.push_back({due, next_order_++, std::move(job)});
  std::push_heap(heap_.begin(), heap_.end(), later);
  timer_cv_.notify_one();
}

bool CallScheduler::later(const Waiting& a, const Waiting& b) {
  return a.due != b.due ? a.due > b.due : a.order > b.order;
}

void CallScheduler::timer_loop() {
  std::unique_lock lock(m_);
  for (;;) {
    if (heap_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    const auto now = Clock::now();
    bool moved = false;
    for (auto& w : heap_)
      if (w.due > now && w.job->call->cancelled()) {
        w.due = now;
        moved = true;
      }
    if (moved) std::make_heap(heap_.begin(), heap_.end(), later);
    while (!heap_.empty() && heap_.front().due <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      ready_.push_back(std::move(heap_.back().job));
      heap_.pop_back();
      work_cv_.notify_one();
    }
    if (!heap_.empty()) timer_cv_.wait_until(lock, std::min(heap_.front().due, now + kCancelCheck));
  }
}

void CallScheduler::worker_loop() {
  CurlHttp http;  // one per thread: libcurl's connection cache is reused across calls
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(m_);
      work_cv_.wait(lock, [this] { return !ready_.empty(); });
      job = std::move(ready_.front());
      ready_.pop_front();
    }
    std::optional<Clock::time_point> wake;
    std::exception_ptr error;
    try {
      wake = job->call->step(http);
    } catch (...) {
      error = std::current_exception();
    }
    if (wake && !error) {
      schedule(std::move(job), *wake);
      continue;
    }
    CallOutput out;
    if (!error) out = job->call->take_output();
    job->call.reset();
    Done done = std::move(job->done);
    job.reset();
    done(error, std::move(out));
  }
}

}  // namespace reel::providers
