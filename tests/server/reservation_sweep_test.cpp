// Budget reservations of jobs the queue ended by itself are released by the sweep, and
// only those: a reservation whose job is still queued or just ended stays.
#include <gtest/gtest.h>

#include <chrono>

#include "reel/server/worker.hpp"
#include "server/store_fixture.hpp"

namespace reel::server {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ReservationSweepTest : public StoreTest {};

TEST_P(ReservationSweepTest, ReleasesOnlyJobsEndedByTheQueueOrNeverEnqueued) {
  auto jobs = open_jobs();
  auto keys = open_keys();
  ApiKey spec;
  spec.name = "sweep";
  spec.budget_usd = 10;
  const std::string key = keys->create(spec).first.id;
  const std::int64_t t0 = now_ms();

  // A: one attempt, its worker vanished; the next claim ends it as failed.
  Job a;
  a.api_key_id = key;
  a.spec = Json::object();
  a.max_attempts = 1;
  a = jobs->enqueue(a).first;
  ASSERT_EQ(keys->admit(key, a.id, 2), Admission::admitted);
  ASSERT_TRUE(jobs->claim("gone", 100, t0));
  EXPECT_FALSE(jobs->claim("other", 100, t0 + 1000));
  ASSERT_EQ(jobs->get(a.id)->status, JobStatus::failed);

  // B: admitted, never enqueued (the server died in between).
  ASSERT_EQ(keys->admit(key, "0123456789abcdef0123456789abcdef", 3), Admission::admitted);

  // C: queued, so a worker will settle it later.
  Job c;
  c.api_key_id = key;
  c.spec = Json::object();
  c = jobs->enqueue(c).first;
  ASSERT_EQ(keys->admit(key, c.id, 1), Admission::admitted);
  EXPECT_EQ(keys->usage(key).jobs_reserved, 3);

  // Within the grace period nothing is touched (a live worker may still settle A).
  EXPECT_EQ(release_reservations_of_ended_jobs(*jobs, *keys, now_ms(), 60'000), 0u);
  EXPECT_EQ(keys->usage(key).jobs_reserved, 3);

  const std::int64_t later = now_ms() + 120'000;
  EXPECT_EQ(release_reservations_of_ended_jobs(*jobs, *keys, later, 60'000), 2u);
  auto u = keys->usage(key);
  EXPECT_EQ(u.jobs_reserved, 1);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 1.0);
  EXPECT_DOUBLE_EQ(u.spent_usd, 0.0);
  EXPECT_FALSE(keys->settle(a.id, 5)) << "A's reservation was released, not left to settle";
  EXPECT_TRUE(keys->settle(c.id, 0.5)) << "C's reservation must survive the sweep";
  EXPECT_EQ(release_reservations_of_ended_jobs(*jobs, *keys, later, 60'000), 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, ReservationSweepTest, store_engines(), engine_name);

}  // namespace
}  // namespace reel::server
