#include "reel/core/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <exception>

namespace reel {

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::enqueue(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push(std::move(job));
  }
  cv_.notify_one();
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_ && jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop();
    }
    job();
  }
}

void ThreadPool::parallel_for(std::size_t n, std::size_t grain,
                              const std::function<void(std::size_t, std::size_t)>& body) {
  if (n == 0) return;
  grain = std::max<std::size_t>(grain, 1);
  const std::size_t max_chunks = (n + grain - 1) / grain;
  const std::size_t chunks = std::min(max_chunks, (workers_.size() + 1) * 4);
  if (chunks <= 1) {
    body(0, n);
    return;
  }
  const std::size_t chunk = (n + chunks - 1) / chunks;

  // Shared state lives on the heap so helpers that start late (after the caller
  // finished all chunks) still find it valid.
  struct State {
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::mutex m;
    std::condition_variable cv;
    std::exception_ptr error;
  };
  auto state = std::make_shared<State>();
  auto run_chunks = [state, chunk, chunks, n, &body] {
    for (;;) {
      std::size_t c = state->next.fetch_add(1);
      if (c >= chunks) return;
      try {
        std::size_t b = c * chunk, e = std::min(n, b + chunk);
        if (b < e) body(b, e);
      } catch (...) {
        std::lock_guard lock(state->m);
        if (!state->error) state->error = std::current_exception();
      }
      if (state->done.fetch_add(1) + 1 == chunks) {
        std::lock_guard lock(state->m);
        state->cv.notify_all();
      }
    }
  };
  const std::size_t helpers = std::min(workers_.size(), chunks - 1);
  for (std::size_t i = 0; i < helpers; ++i) enqueue(run_chunks);
  run_chunks();
  std::unique_lock lock(state->m);
  state->cv.wait(lock, [&] { return state->done.load() == chunks; });
  if (state->error) std::rethrow_exception(state->error);
}

ThreadPool& default_pool() {
  static ThreadPool pool(0);
  return pool;
}

void parallel_for(std::size_t n, std::size_t grain,
                  const std::function<void(std::size_t, std::size_t)>& body) {
  default_pool().parallel_for(n, grain, body);
}

}  // namespace reel
