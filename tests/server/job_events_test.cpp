// The event log and the per-key queries of the job store, on both engines.
#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "server/sqlite_db.hpp"
#include "server/store_fixture.hpp"

namespace reel::server {
namespace {

constexpr std::int64_t kLeaseMs = 30000;

std::vector<std::string> types(const std::vector<JobEvent>& events) {
  std::vector<std::string> t;
  for (auto& e : events) t.push_back(e.type);
  return t;
}

class JobEventsTest : public StoreTest {
 protected:
  static Job job_for(const std::string& key, int max_attempts = 3) {
    Job j;
    j.api_key_id = key;
    j.spec = Json{{"k", key}};
    j.max_attempts = max_attempts;
    return j;
  }
  static void expect_gap_free(const std::vector<JobEvent>& events) {
    for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, std::int64_t(i + 1));
  }
};

using Types = std::vector<std::string>;

TEST_P(JobEventsTest, LifecycleOfASucceededJob) {
  auto store = open_jobs();
  auto id = store->enqueue(job_for("a")).first.id;
  auto c = store->claim("w1", kLeaseMs, 1000);
  ASSERT_TRUE(c);
  EXPECT_TRUE(store->append_event(c->second, "step", Json{{"step", "gen"}}));
  EXPECT_TRUE(store->append_event(c->second, "progress", Json{{"pct", 50}}));
  EXPECT_TRUE(store->complete(c->second, Json{{"ok", true}}));
  auto ev = store->events(id, 0, 100);
  EXPECT_EQ(types(ev), (Types{"queued", "started", "step", "progress", "succeeded"}));
  expect_gap_free(ev);
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[1].data.value("worker_id", ""), "w1");
  EXPECT_EQ(ev[1].data.value("attempt", 0), 1);
  EXPECT_EQ(ev[1].at_ms, 1000);
  EXPECT_EQ(ev[2].data, Json({{"step", "gen"}}));
  // Paging after a seq, with a limit.
  auto tail = store->events(id, 2, 2);
  EXPECT_EQ(types(tail), (Types{"step", "progress"}));
  EXPECT_TRUE(store->events(id, 5, 100).empty());
  EXPECT_TRUE(store->events("nope", 0, 100).empty());
  // The finished job's lease no longer writes events.
  EXPECT_FALSE(store->append_event(c->second, "step", Json::object()));
  EXPECT_EQ(store->events(id, 0, 100).size(), 5u);
}

TEST_P(JobEventsTest, RetriesHandOnsFailuresAndCancels) {
  auto store = open_jobs();
  auto a = store->enqueue(job_for("a", 2)).first.id;
  auto c1 = store->claim("w1", kLeaseMs, 0);
  ASSERT_TRUE(c1);
  EXPECT_TRUE(store->fail(c1->second, "boom", /*retryable=*/true, 10));
  // The second (last) attempt's worker dies: when its lease expires no attempt is left,
  // so the next claim fails the job instead of handing it on.
  auto c2 = store->claim("w2", 1000, 5000);
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->first.id, a);
  EXPECT_FALSE(store->claim("w3", 1000, 9000));
  EXPECT_EQ(types(store->events(a, 0, 100)),
            (Types{"queued", "started", "retrying", "started", "failed"}));
  auto ev = store->events(a, 0, 100);
  expect_gap_free(ev);
  EXPECT_EQ(ev[2].data.value("error", ""), "boom");
  EXPECT_EQ(ev[2].data.value("not_before_ms", std::int64_t{0}), 10 + retry_backoff_ms(1));

  auto b = store->enqueue(job_for("b")).first.id;
  auto cb = store->claim("w1", 1000, 20000);
  ASSERT_TRUE(cb);
  auto handed = store->claim("w2", 1000, 30000);  // w1 stalled past its lease
  ASSERT_TRUE(handed);
  EXPECT_EQ(handed->first.id, b);
  EXPECT_FALSE(store->append_event(cb->second, "step", Json::object()));  // fenced
  EXPECT_TRUE(store->fail(handed->second, "bad input", /*retryable=*/false, 30001));
  EXPECT_EQ(types(store->events(b, 0, 100)),
            (Types{"queued", "started", "retrying", "started", "failed"}));

  auto q = store->enqueue(job_for("c")).first.id;
  EXPECT_TRUE(store->request_cancel(q));
  EXPECT_EQ(types(store->events(q, 0, 100)), (Types{"queued", "canceled"}));
  auto r = store->enqueue(job_for("d")).first.id;
  auto cr = store->claim("w", kLeaseMs, 40000);
  ASSERT_TRUE(cr);
  EXPECT_TRUE(store->request_cancel(r));
  EXPECT_TRUE(store->mark_canceled(cr->second));
  EXPECT_EQ(types(store->events(r, 0, 100)), (Types{"queued", "started", "canceled"}));
}

TEST_P(JobEventsTest, ListForKeyAndCountActiveSeeOnlyThatKey) {
  auto store = open_jobs();
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    mine.push_back(store->enqueue(job_for("alice")).first.id);
    store->enqueue(job_for("bob"));
  }
  EXPECT_EQ(store->count_active("alice"), 5);
  EXPECT_EQ(store->count_active("carol"), 0);
  auto c = store->claim("w", kLeaseMs, 1000);  // alice's first
  ASSERT_TRUE(c);
  ASSERT_EQ(c->first.id, mine[0]);
  EXPECT_TRUE(store->complete(c->second, Json::object()));
  EXPECT_EQ(store->count_active("alice"), 4);
  EXPECT_EQ(store->count_active("bob"), 5);

  std::vector<std::string> paged;
  std::string cursor;
  for (;;) {
    auto page = store->list_for_key("alice", std::nullopt, cursor, 2);
    if (page.empty()) break;
    for (auto& j : page) {
      EXPECT_EQ(j.api_key_id, "alice");
      paged.push_back(j.id);
    }
    cursor = page.back().id;
  }
  EXPECT_EQ(paged, mine);
  auto done = store->list_for_key("alice", JobStatus::succeeded, "", 10);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, mine[0]);
  EXPECT_TRUE(store->list_for_key("bob", JobStatus::succeeded, "", 10).empty());
  // Another key's job id as a cursor does not leak its position.
  auto bobs = store->list_for_key("bob", std::nullopt, "", 10);
  EXPECT_EQ(store->list_for_key("alice", std::nullopt, bobs.back().id, 10).size(), 5u);
}

TEST_P(JobEventsTest, EventTypeMustBeNamed) {
  auto store = open_jobs();
  store->enqueue(job_for("a"));
  auto c = store->claim("w", kLeaseMs, 0);
  ASSERT_TRUE(c);
  EXPECT_THROW(store->append_event(c->second, "", Json::object()), Error);
}

// A file written before the event log existed (schema version 1) gains it when opened.
TEST(SqliteJobStoreUpgradeTest, VersionOneFileGainsTheEventLog) {
  testing::TempDir dir;
  auto file = dir / "old.db";
  std::string id;
  {
    auto store = open_sqlite_job_store(file);
    Job j;
    j.api_key_id = "k";
    id = store->enqueue(j).first.id;
  }
  {
    sqlite::Db db(file);
    db.exec(
        "DROP TABLE job_events; DROP INDEX jobs_key; DROP INDEX jobs_key_status; PRAGMA "
        "user_version=1;");
  }
  auto store = open_sqlite_job_store(file);
  EXPECT_EQ(store->get(id)->status, JobStatus::queued);
  EXPECT_TRUE(store->events(id, 0, 10).empty());  // no history from before the log
  auto c = store->claim("w", kLeaseMs, 0);
  ASSERT_TRUE(c);
  EXPECT_TRUE(store->complete(c->second, Json::object()));
  EXPECT_EQ(types(store->events(id, 0, 10)), (Types{"started", "succeeded"}));
  EXPECT_EQ(store->count_active("k"), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, JobEventsTest, store_engines(), engine_name);

}  // namespace
}  // namespace reel::server
