#include "reel/core/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <set>

#include "reel/core/units.hpp"

namespace reel {

TEST(ThreadPool, ParallelForCoversEveryIndexExactlyOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(10007);
  pool.parallel_for(hits.size(), 16, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ThreadPool, ParallelForRethrowsAndNestedCallsDoNotDeadlock) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100, 1,
                                 [](std::size_t b, std::size_t e) {
                                   if (b <= 50 && 50 < e) throw std::runtime_error("x");
                                 }),
               std::runtime_error);
  std::atomic<int> total{0};
  auto f1 = pool.submit([&] {
    pool.parallel_for(1000, 10, [&](std::size_t b, std::size_t e) { total += int(e - b); });
  });
  auto f2 = pool.submit([&] {
    pool.parallel_for(1000, 10, [&](std::size_t b, std::size_t e) { total += int(e - b); });
  });
  f1.get();
  f2.get();
  EXPECT_EQ(total.load(), 2000);
}

TEST(ThreadPool, SubmittedTasksRunConcurrently) {
  ThreadPool pool(2);
  std::atomic<int> running{0}, peak{0};
  auto task = [&] {
    int now = ++running;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    --running;
  };
  auto a = pool.submit(task), b = pool.submit(task);
  a.get();
  b.get();
  EXPECT_EQ(peak.load(), 2);
}

TEST(Units, ArithmeticAndFormatting) {
  Usd a(1.30), b(0.65);
  EXPECT_DOUBLE_EQ((a - b).value, 0.65);
  EXPECT_DOUBLE_EQ(a / b, 2.0);
  EXPECT_EQ(format_usd(Usd(1.3)), "$1.30");
  EXPECT_EQ(format_usd(Usd(0.0123)), "$0.0123");
  EXPECT_EQ(format_seconds(Seconds(0.25)), "250 ms");
  EXPECT_EQ(format_seconds(Seconds(125)), "2 min 05 s");
}

}  // namespace reel
