#include "reel/server/job_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "reel/core/error.hpp"
#include "server/store_fixture.hpp"

namespace reel::server {
namespace {

constexpr std::int64_t kLeaseMs = 30000;

class JobStoreTest : public StoreTest {
 protected:
  std::unique_ptr<JobStore> open() { return open_jobs(); }

  static Job make_job(const std::string& name, int priority = 0, int max_attempts = 3) {
    Job j;
    j.api_key_id = "key-1";
    j.spec = Json{{"name", name}};
    j.priority = priority;
    j.max_attempts = max_attempts;
    return j;
  }
};

TEST_P(JobStoreTest, EnqueueGetAndIdsAreRandomHex) {
  auto store = open();
  auto [a, created_a] = store->enqueue(make_job("a"));
  auto [b, created_b] = store->enqueue(make_job("b"));
  EXPECT_TRUE(created_a);
  EXPECT_TRUE(created_b);
  EXPECT_EQ(a.id.size(), 32u);
  EXPECT_EQ(a.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a.id, b.id);

  auto got = store->get(a.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->spec, Json({{"name", "a"}}));
  EXPECT_EQ(got->status, JobStatus::queued);
  EXPECT_EQ(got->attempts, 0);
  EXPECT_EQ(got->max_attempts, 3);
  EXPECT_EQ(got->api_key_id, "key-1");
  EXPECT_GT(got->created_ms, 0);
  EXPECT_FALSE(store->get("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(store->get("../etc/passwd"));
}

TEST_P(JobStoreTest, RejectsZeroMaxAttempts) {
  auto store = open();
  try {
    store->enqueue(make_job("a", 0, 0));
    FAIL() << "expected InvalidInput";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
}

TEST_P(JobStoreTest, RejectsJsonThatIsNotUtf8) {
  auto store = open();
  Job j = make_job("a");
  j.spec = Json{{"prompt", std::string("caf\xe9")}};
  try {
    store->enqueue(j);
    FAIL() << "expected InvalidInput";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
  EXPECT_TRUE(store->list(std::nullopt, "", 10).empty());
  auto id = store->enqueue(make_job("b")).first.id;
  auto c = store->claim("w", kLeaseMs, 0);
  ASSERT_TRUE(c);
  EXPECT_THROW(store->complete(c->second, Json{{"x", std::string("\xff")}}), Error);
  EXPECT_EQ(store->get(id)->status, JobStatus::running);  // nothing half-written
  EXPECT_TRUE(store->complete(c->second, Json{{"x", "ok"}}));
}

TEST_P(JobStoreTest, ListFiltersByStatusAndPagesWithCursor) {
  auto store = open();
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i)
    ids.push_back(store->enqueue(make_job("j" + std::to_string(i))).first.id);
  auto claimed = store->claim("w", kLeaseMs, 1000);  // takes ids[0]
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->first.id, ids[0]);

  std::vector<std::string> paged;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto page = store->list(std::nullopt, cursor, 3);
    if (page.empty()) break;
    ++pages;
    EXPECT_LE(page.size(), 3u);
    for (auto& j : page) paged.push_back(j.id);
    cursor = page.back().id;
  }
  EXPECT_EQ(paged, ids);
  EXPECT_EQ(pages, 3);

  auto queued = store->list(JobStatus::queued, "", 100);
  ASSERT_EQ(queued.size(), 6u);
  EXPECT_EQ(queued.front().id, ids[1]);
  auto running = store->list(JobStatus::running, "", 100);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].id, ids[0]);
  EXPECT_TRUE(store->list(JobStatus::succeeded, "", 100).empty());
  EXPECT_TRUE(store->list(std::nullopt, "", 0).empty());
}

TEST_P(JobStoreTest, ClaimsByPriorityThenFifo) {
  auto store = open();
  auto low1 = store->enqueue(make_job("low1", 0)).first.id;
  auto high1 = store->enqueue(make_job("high1", 5)).first.id;
  auto low2 = store->enqueue(make_job("low2", 0)).first.id;
  auto high2 = store->enqueue(make_job("high2", 5)).first.id;
  auto mid = store->enqueue(make_job("mid", 2)).first.id;
  std::vector<std::string> order;
  while (auto c = store->claim("w", kLeaseMs, 1000)) order.push_back(c->first.id);
  EXPECT_EQ(order, (std::vector<std::string>{high1, high2, mid, low1, low2}));
}

TEST_P(JobStoreTest, IdempotencyKeyDedupesSameBodyAndRefusesDifferentBody) {
  auto store = open();
  Job j = make_job("a");
  j.idempotency_key = "idem-1";
  j.body_hash = "hash-A";
  auto [first, created1] = store->enqueue(j);
  auto [again, created2] = store->enqueue(j);
  EXPECT_TRUE(created1);
  EXPECT_FALSE(created2);
  EXPECT_EQ(again.id, first.id);

  Job other = j;
  other.body_hash = "hash-B";
  try {
    store->enqueue(other);
    FAIL() << "expected InvalidInput";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("different body"), std::string::npos);
  }
  // The same key under another API key is a different job.
  Job other_key = j;
  other_key.api_key_id = "key-2";
  auto [third, created3] = store->enqueue(other_key);
  EXPECT_TRUE(created3);
  EXPECT_NE(third.id, first.id);
  // Jobs without a key never dedupe.
  EXPECT_TRUE(store->enqueue(make_job("x")).second);
  EXPECT_TRUE(store->enqueue(make_job("x")).second);
  EXPECT_EQ(store->list(std::nullopt, "", 100).size(), 4u);
}

TEST_P(JobStoreTest, ClaimGivesLeaseAndHeartbeatExtendsIt) {
  auto store = open();
  auto id = store->enqueue(make_job("a")).first.id;
  auto c = store->claim("worker-A", 1000, 5000);
  ASSERT_TRUE(c);
  auto& [job, lease] = *c;
  EXPECT_EQ(job.id, id);
  EXPECT_EQ(lease.job_id, id);
  EXPECT_EQ(job.status, JobStatus::running);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(lease.attempt, 1);
  EXPECT_EQ(job.worker_id, "worker-A");
  EXPECT_EQ(lease.expires_ms, 6000);
  EXPECT_EQ(lease.token.size(), 32u);
  EXPECT_FALSE(store->claim("worker-B", 1000, 5500));  // nothing else, lease still live

  EXPECT_TRUE(store->heartbeat(lease, 1000, 5900));    // now expires at 6900
  EXPECT_FALSE(store->claim("worker-B", 1000, 6500));  // would have expired without the beat
  EXPECT_TRUE(store->progress(lease, Json{{"step", 2}}));
  EXPECT_EQ(store->get(id)->progress, Json({{"step", 2}}));
}

TEST_P(JobStoreTest, ExpiredLeaseIsHandedOnAndOldTokenIsFenced) {
  auto store = open();
  auto id = store->enqueue(make_job("a")).first.id;
  auto first = store->claim("worker-A", 1000, 0);
  ASSERT_TRUE(first);
  Lease old = first->second;
  ASSERT_TRUE(store->progress(old, Json{{"from", "A"}}));

  auto second = store->claim("worker-B", 1000, 1500);
  ASSERT_TRUE(second);
  Lease fresh = second->second;
  EXPECT_EQ(second->first.id, id);
  EXPECT_EQ(second->first.attempts, 2);
  EXPECT_EQ(fresh.attempt, 2);
  EXPECT_NE(fresh.token, old.token);
  EXPECT_EQ(second->first.worker_id, "worker-B");

  auto before = *store->get(id);
  EXPECT_FALSE(store->heartbeat(old, 1000, 1600));
  EXPECT_FALSE(store->progress(old, Json{{"from", "A-late"}}));
  EXPECT_FALSE(store->complete(old, Json{{"by", "A"}}));
  EXPECT_FALSE(store->fail(old, "late", false, 1600));
  EXPECT_FALSE(store->mark_canceled(old));
  EXPECT_TRUE(store->cancel_requested(old));  // a stale lease tells its worker to stop
  auto after = *store->get(id);
  EXPECT_EQ(after.status, JobStatus::running);
  EXPECT_EQ(after.progress, before.progress);
  EXPECT_EQ(after.updated_ms, before.updated_ms);
  EXPECT_TRUE(after.result.is_null());
  EXPECT_EQ(after.worker_id, "worker-B");

  EXPECT_FALSE(store->cancel_requested(fresh));
  EXPECT_TRUE(store->complete(fresh, Json{{"by", "B"}}));
  EXPECT_EQ(store->get(id)->result, Json({{"by", "B"}}));
}

TEST_P(JobStoreTest, ExpiredLeaseWithNoAttemptsLeftFails) {
  auto store = open();
  auto id = store->enqueue(make_job("a", 0, 1)).first.id;
  ASSERT_TRUE(store->claim("worker-A", 1000, 0));
  EXPECT_FALSE(store->claim("worker-B", 1000, 5000));
  auto j = *store->get(id);
  EXPECT_EQ(j.status, JobStatus::failed);
  EXPECT_NE(j.error.find("lease expired"), std::string::npos);
  EXPECT_EQ(j.attempts, 1);
}

TEST_P(JobStoreTest, CompleteExactlyOnce) {
  auto store = open();
  auto id = store->enqueue(make_job("a")).first.id;
  auto c = store->claim("w", kLeaseMs, 0);
  ASSERT_TRUE(c);
  EXPECT_TRUE(store->complete(c->second, Json{{"n", 1}}));
  EXPECT_FALSE(store->complete(c->second, Json{{"n", 2}}));
  EXPECT_FALSE(store->heartbeat(c->second, kLeaseMs, 10));
  auto j = *store->get(id);
  EXPECT_EQ(j.status, JobStatus::succeeded);
  EXPECT_EQ(j.result, Json({{"n", 1}}));
  EXPECT_FALSE(store->claim("w", kLeaseMs, 10 * kLeaseMs));  // finished jobs are never reclaimed
}

TEST_P(JobStoreTest, RetryableFailureRequeuesWithBackoff) {
  EXPECT_EQ(retry_backoff_ms(1), 1000);
  EXPECT_EQ(retry_backoff_ms(2), 2000);
  EXPECT_EQ(retry_backoff_ms(3), 4000);
  EXPECT_EQ(retry_backoff_ms(7), 60000);
  EXPECT_EQ(retry_backoff_ms(1000), 60000);

  auto store = open();
  auto id = store->enqueue(make_job("a", 0, 3)).first.id;
  std::int64_t now = 10000;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto c = store->claim("w", kLeaseMs, now);
    ASSERT_TRUE(c) << "attempt " << attempt;
    EXPECT_EQ(c->second.attempt, attempt);
    ASSERT_TRUE(store->fail(c->second, "gpu busy", true, now));
    auto j = *store->get(id);
    EXPECT_EQ(j.status, JobStatus::queued);
    EXPECT_EQ(j.error, "gpu busy");
    std::int64_t due = now + retry_backoff_ms(attempt);
    EXPECT_EQ(j.not_before_ms, due);
    EXPECT_FALSE(store->claim("w", kLeaseMs, due - 1));
    now = due;
  }
  // Third and last attempt: a retryable failure now fails for good.
  auto c = store->claim("w", kLeaseMs, now);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->second.attempt, 3);
  ASSERT_TRUE(store->fail(c->second, "gpu busy again", true, now));
  auto j = *store->get(id);
  EXPECT_EQ(j.status, JobStatus::failed);
  EXPECT_EQ(j.error, "gpu busy again");
  EXPECT_FALSE(store->claim("w", kLeaseMs, now + 120000));
}

TEST_P(JobStoreTest, NonRetryableFailureFailsAtOnce) {
  auto store = open();
  auto id = store->enqueue(make_job("a", 0, 5)).first.id;
  auto c = store->claim("w", kLeaseMs, 0);
  ASSERT_TRUE(c);
  ASSERT_TRUE(store->fail(c->second, "bad prompt", false, 0));
  auto j = *store->get(id);
  EXPECT_EQ(j.status, JobStatus::failed);
  EXPECT_EQ(j.error, "bad prompt");
  EXPECT_EQ(j.attempts, 1);
  EXPECT_FALSE(store->fail(c->second, "again", false, 0));
}

TEST_P(JobStoreTest, CancelQueuedJobIsImmediate) {
  auto store = open();
  auto id = store->enqueue(make_job("a")).first.id;
  EXPECT_TRUE(store->request_cancel(id));
  EXPECT_EQ(store->get(id)->status, JobStatus::canceled);
  EXPECT_FALSE(store->claim("w", kLeaseMs, 0));
  EXPECT_FALSE(store->request_cancel(id));  // already finished
  EXPECT_FALSE(store->request_cancel("no-such-job"));
}

TEST_P(JobStoreTest, CancelRunningJobReachesTheWorker) {
  auto store = open();
  auto id = store->enqueue(make_job("a")).first.id;
  auto c = store->claim("w", kLeaseMs, 0);
  ASSERT_TRUE(c);
  EXPECT_FALSE(store->cancel_requested(c->second));
  EXPECT_TRUE(store->request_cancel(id));
  auto j = *store->get(id);
  EXPECT_EQ(j.status, JobStatus::running);
  EXPECT_TRUE(j.cancel_requested);
  EXPECT_TRUE(store->cancel_requested(c->second));
  EXPECT_TRUE(store->mark_canceled(c->second));
  EXPECT_EQ(store->get(id)->status, JobStatus::canceled);
  EXPECT_FALSE(store->complete(c->second, Json{}));
}

TEST_P(JobStoreTest, CancelOfRunningJobWhoseWorkerDiedSettlesOnExpiry) {
  auto store = open();
  auto id = store->enqueue(make_job("a")).first.id;
  ASSERT_TRUE(store->claim("w", 1000, 0));
  EXPECT_TRUE(store->request_cancel(id));
  EXPECT_FALSE(store->claim("w2", 1000, 5000));
  EXPECT_EQ(store->get(id)->status, JobStatus::canceled);
}

TEST_P(JobStoreTest, EverythingSurvivesReopen) {
  std::string queued_id, running_id, done_id;
  Lease lease;
  {
    auto store = open();
    Job k = make_job("keyed", 3);
    k.idempotency_key = "idem";
    k.body_hash = "h";
    queued_id = store->enqueue(k).first.id;
    running_id = store->enqueue(make_job("run", 9)).first.id;
    done_id = store->enqueue(make_job("done", 8)).first.id;
    auto c1 = store->claim("w", kLeaseMs, 100);
    auto c2 = store->claim("w", kLeaseMs, 100);
    ASSERT_TRUE(c1 && c2);
    ASSERT_EQ(c1->first.id, running_id);
    ASSERT_EQ(c2->first.id, done_id);
    lease = c1->second;
    ASSERT_TRUE(store->progress(lease, Json{{"pct", 40}}));
    ASSERT_TRUE(store->complete(c2->second, Json{{"artifact", "abc"}}));
  }
  auto store = open();
  EXPECT_EQ(store->get(queued_id)->status, JobStatus::queued);
  EXPECT_EQ(store->get(queued_id)->priority, 3);
  auto r = *store->get(running_id);
  EXPECT_EQ(r.status, JobStatus::running);
  EXPECT_EQ(r.progress, Json({{"pct", 40}}));
  EXPECT_EQ(store->get(done_id)->result, Json({{"artifact", "abc"}}));
  // The lease and the idempotency record survived too.
  EXPECT_TRUE(store->heartbeat(lease, kLeaseMs, 200));
  Job k = make_job("keyed", 3);
  k.idempotency_key = "idem";
  k.body_hash = "h";
  auto [again, created] = store->enqueue(k);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.id, queued_id);
  EXPECT_EQ(store->list(std::nullopt, "", 100).size(), 3u);
}

TEST_P(JobStoreTest, ConcurrentWorkersCompleteEachJobExactlyOnce) {
  constexpr int kJobs = 200, kWorkers = 4;
  std::set<std::string> ids;
  {
    auto store = open();
    for (int i = 0; i < kJobs; ++i)
      ids.insert(store->enqueue(make_job(std::to_string(i))).first.id);
  }
  std::mutex mutex;
  std::map<std::string, int> completions;
  std::atomic<int> failed_completes{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto store = open();  // its own connection, as another process would have
      while (auto c = store->claim("worker-" + std::to_string(w), kLeaseMs, 1000)) {
        if (store->complete(c->second, Json{{"worker", w}})) {
          std::lock_guard lock(mutex);
          ++completions[c->first.id];
        } else {
          ++failed_completes;
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(failed_completes.load(), 0);
  ASSERT_EQ(completions.size(), ids.size());
  for (auto& [id, n] : completions) {
    EXPECT_TRUE(ids.count(id));
    EXPECT_EQ(n, 1) << id;
  }
  auto store = open();
  EXPECT_TRUE(store->list(JobStatus::queued, "", 1000).empty());
  EXPECT_TRUE(store->list(JobStatus::running, "", 1000).empty());
  auto done = store->list(JobStatus::succeeded, "", 1000);
  EXPECT_EQ(done.size(), static_cast<std::size_t>(kJobs));
  for (auto& j : done) EXPECT_EQ(j.attempts, 1);
}

// Clients retrying one request at once (same idempotency key, same body) from several
// connections: one job is created and every caller gets it.
TEST_P(JobStoreTest, ConcurrentEnqueuesWithOneIdempotencyKeyCreateOneJob) {
  constexpr int kCallers = 8;
  open();  // the schema exists before the race
  std::mutex mutex;
  std::set<std::string> ids;
  std::atomic<int> created{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&] {
      try {
        auto store = open();
        Job j = make_job("same");
        j.idempotency_key = "retry-me";
        j.body_hash = "h1";
        auto [job, was_created] = store->enqueue(j);
        created += was_created ? 1 : 0;
        std::lock_guard lock(mutex);
        ids.insert(job.id);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(open()->list(std::nullopt, "", 100).size(), 1u);
}

// Workers on the real clock with leases short enough to expire: some stall past theirs,
// the job is handed on, and the stalled worker's late complete must be fenced off. Every
// job ends succeeded, completed by exactly one lease.
TEST_P(JobStoreTest, StalledWorkersAreFencedOffUnderConcurrency) {
  constexpr int kJobs = 200, kWorkers = 6;
  constexpr std::int64_t kShortLeaseMs = 15;
  {
    auto store = open();
    for (int i = 0; i < kJobs; ++i) store->enqueue(make_job(std::to_string(i), 0, 1000));
  }
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  std::mutex mutex;
  std::map<std::string, int> completions;
  std::atomic<int> fenced{0}, stalls{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto store = open();
      std::mt19937 rng(w);
      for (int idle = 0; idle < 3;) {
        auto c = store->claim("w" + std::to_string(w), kShortLeaseMs, now());
        if (!c) {  // empty, or only live leases left: wait for them to finish or expire
          ++idle;
          std::this_thread::sleep_for(std::chrono::milliseconds(2 * kShortLeaseMs));
          continue;
        }
        idle = 0;
        if (rng() % 4 == 0) {
          ++stalls;
          std::this_thread::sleep_for(std::chrono::milliseconds(2 * kShortLeaseMs));
        }
        if (store->complete(c->second, Json{{"w", w}})) {
          std::lock_guard lock(mutex);
          ++completions[c->first.id];
        } else {
          ++fenced;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(stalls.load(), 0);
  ASSERT_EQ(completions.size(), static_cast<std::size_t>(kJobs));
  for (auto& [id, n] : completions) EXPECT_EQ(n, 1) << id;
  auto store = open();
  EXPECT_EQ(store->list(JobStatus::succeeded, "", 1000).size(), static_cast<std::size_t>(kJobs));
  // Every fenced complete belonged to a lease that was handed on.
  int handed_on = 0;
  for (auto& j : store->list(std::nullopt, "", 1000)) handed_on += j.attempts - 1;
  EXPECT_EQ(fenced.load(), handed_on);
}

TEST_P(JobStoreTest, ConcurrentProcessesCompleteEachJobExactlyOnce) {
  constexpr int kJobs = 200, kProcesses = 3;
  {
    auto store = open();
    for (int i = 0; i < kJobs; ++i) store->enqueue(make_job(std::to_string(i)));
  }
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // the child: a worker process with its own store; no gtest here
      int completed = 0;
      try {
        auto store = open();
        while (auto c = store->claim("proc-" + std::to_string(p), kLeaseMs, 1000))
          completed += store->complete(c->second, Json{{"proc", p}}) ? 1 : 0;
        std::ofstream(dir_ / ("count-" + std::to_string(p))) << completed;
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  int total = 0;
  for (int p = 0; p < kProcesses; ++p) {
    int n = -1;
    std::ifstream(dir_ / ("count-" + std::to_string(p))) >> n;
    EXPECT_GE(n, 0);
    total += n;
  }
  EXPECT_EQ(total, kJobs);
  auto store = open();
  auto done = store->list(JobStatus::succeeded, "", 1000);
  EXPECT_EQ(done.size(), static_cast<std::size_t>(kJobs));
  for (auto& j : done) EXPECT_EQ(j.attempts, 1) << j.id;
  EXPECT_TRUE(store->list(JobStatus::queued, "", 1000).empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, JobStoreTest, store_engines(), engine_name);

TEST(JobStatusTest, NamesRoundTripAndUnknownIsRefused) {
  for (auto s : {JobStatus::queued, JobStatus::running, JobStatus::succeeded, JobStatus::failed,
                 JobStatus::canceled})
    EXPECT_EQ(parse_job_status(to_string(s)), s);
  EXPECT_THROW(parse_job_status("done"), Error);
}

}  // namespace
}  // namespace reel::server
