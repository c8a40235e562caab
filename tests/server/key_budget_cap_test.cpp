// Budgets as hard caps, key default policies and the audit log of key changes, on both
// engines: settle() never takes a key past its budget (the overrun is recorded as
// absorbed), a job's charge never passes its cap (reservation + tolerance), and every
// change to a key leaves an audit row without a secret.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/server/key_revoke.hpp"
#include "server/pg_db.hpp"
#include "server/store_fixture.hpp"
#include "server/store_util.hpp"

namespace reel::server {
namespace {

class KeyBudgetCapTest : public StoreTest {
 protected:
  static ApiKey spec(double budget_usd) {
    ApiKey k;
    k.name = "cap";
    k.budget_usd = budget_usd;
    return k;
  }
};

TEST(JobSpendCap, IsTwiceTheReservationAndAtLeastAHundredMicroDollarsMore) {
  EXPECT_NEAR(job_spend_cap_usd(0.4), 0.8, 1e-12);
  EXPECT_NEAR(job_spend_cap_usd(0), 0.0001, 1e-12);
  EXPECT_NEAR(job_spend_cap_usd(0.000002), 0.000102, 1e-12);  // the floor wins below $1e-4
}

TEST_P(KeyBudgetCapTest, SettlingNeverPassesTheJobCapOrTheBudget) {
  auto keys = open_keys();
  auto key = keys->create(spec(1.0)).first;
  ASSERT_EQ(keys->admit(key.id, "j1", 0.2), Admission::admitted);
  ASSERT_EQ(keys->admit(key.id, "j2", 0.2), Admission::admitted);
  // Within the tolerance and the room: charged as measured.
  EXPECT_TRUE(keys->settle("j1", 0.25));
  auto c1 = keys->charge("j1");
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->state, "settled");
  EXPECT_NEAR(c1->charged_usd, 0.25, 1e-9);
  EXPECT_NEAR(c1->absorbed_usd, 0, 1e-9);
  // 10x its estimate: charged its cap (0.2 + 100 % = 0.4; 0.75 is left), the rest absorbed.
  EXPECT_TRUE(keys->settle("j2", 2.0));
  auto c2 = keys->charge("j2");
  EXPECT_NEAR(c2->charged_usd, 0.4, 1e-9);
  EXPECT_NEAR(c2->absorbed_usd, 1.6, 1e-9);
  auto u = keys->usage(key.id);
  EXPECT_NEAR(u.spent_usd, 0.65, 1e-9);
  EXPECT_NEAR(u.absorbed_usd, 1.6, 1e-9);
  EXPECT_EQ(u.jobs_capped, 1);
  // The last $0.35: the job's cap would allow 0.6, the budget only 0.35.
  ASSERT_EQ(keys->admit(key.id, "j3", 0.3), Admission::admitted);
  EXPECT_NEAR(keys->charge("j3")->cap_usd, 0.6, 1e-9);
  EXPECT_TRUE(keys->settle("j3", 1.0));
  u = keys->usage(key.id);
  EXPECT_NEAR(u.spent_usd, 1.0, 1e-9);
  EXPECT_LE(u.spent_usd, u.budget_usd);
  EXPECT_NEAR(u.absorbed_usd, 1.6 + 0.65, 1e-9);
  EXPECT_EQ(u.jobs_capped, 2);
  EXPECT_FALSE(keys->settle("j3", 0.01));  // still once

  // A key without a budget has no cap: charged as measured.
  auto free_key = keys->create(spec(-1)).first;
  ASSERT_EQ(keys->admit(free_key.id, "f1", 0.1), Admission::admitted);
  EXPECT_LT(keys->charge("f1")->cap_usd, 0);
  EXPECT_TRUE(keys->settle("f1", 3.0));
  EXPECT_NEAR(keys->usage(free_key.id).spent_usd, 3.0, 1e-9);
  EXPECT_FALSE(keys->charge("never-admitted"));
}

// 20 jobs that each fit the budget exactly, all settled at 3x their estimate from four
// stores at once: the key's spend ends at its budget, never past it.
TEST_P(KeyBudgetCapTest, ConcurrentOverrunsNeverPassTheBudget) {
  std::string key_id;
  {
    auto keys = open_keys();
    key_id = keys->create(spec(0.0001)).first.id;
    for (int j = 0; j < 20; ++j)
      ASSERT_EQ(keys->admit(key_id, "o" + std::to_string(j), 0.000005), Admission::admitted);
    EXPECT_EQ(keys->admit(key_id, "one-more", 0.000001), Admission::over_budget);
  }
  std::atomic<int> settled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto mine = open_keys();
      for (int j = t; j < 20; j += 4)
        settled += mine->settle("o" + std::to_string(j), 0.000015) ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(settled.load(), 20);
  auto u = open_keys()->usage(key_id);
  EXPECT_LE(u.spent_usd, 0.0001 + 1e-12);
  EXPECT_NEAR(u.spent_usd, 0.0001, 1e-9);  // the budget was spent, and no more
  EXPECT_NEAR(u.spent_usd + u.absorbed_usd, 20 * 0.000015, 1e-9);
}

TEST_P(KeyBudgetCapTest, DefaultPolicyIsStoredAndChecked) {
  auto keys = open_keys();
  ApiKey s = spec(1);
  s.policy = "commercial-safe";
  auto key = keys->create(s).first;
  EXPECT_EQ(keys->get(key.id)->policy, "commercial-safe");
  EXPECT_EQ(open_keys()->list().front().policy, "commercial-safe");
  s.policy = "anything-goes";
  try {
    keys->create(s);
    FAIL() << "an unknown policy was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("commercial-safe, permissive"), std::string::npos)
        << e.what();
  }
}

TEST_P(KeyBudgetCapTest, EveryKeyChangeIsAuditedWithoutSecrets) {
  auto keys = open_keys();
  keys->set_actor("test-admin@ci");
  ApiKey s = spec(2);
  s.policy = "permissive";
  auto [key, secret] = keys->create(s);
  KeyUpdate change;
  change.budget_usd = 5;
  change.policy = "commercial-safe";
  auto updated = keys->update(key.id, change);
  EXPECT_DOUBLE_EQ(updated.budget_usd, 5);
  EXPECT_EQ(keys->get(key.id)->policy, "commercial-safe");
  KeyUpdate nothing;
  nothing.budget_usd = 5;  // no change: nothing logged
  keys->update(key.id, nothing);
  EXPECT_TRUE(keys->revoke(key.id));
  EXPECT_FALSE(keys->revoke(key.id));  // already revoked: nothing logged
  KeyUpdate bad;
  bad.policy = "lax";
  EXPECT_THROW(keys->update(key.id, bad), Error);
  try {
    keys->update("key_0000000000000000", change);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  auto other = keys->create(spec(-1)).first;

  auto log = open_keys()->audit(key.id, 100);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].action, "created");
  EXPECT_EQ(log[0].detail["budget_usd"], 2.0);
  EXPECT_EQ(log[0].detail["policy"], "permissive");
  EXPECT_EQ(log[1].action, "updated");
  EXPECT_EQ(log[1].detail["budget_usd"]["from"], 2.0);
  EXPECT_EQ(log[1].detail["budget_usd"]["to"], 5.0);
  EXPECT_EQ(log[1].detail["policy"]["to"], "commercial-safe");
  EXPECT_FALSE(log[1].detail.contains("max_concurrent"));  // only what changed
  EXPECT_EQ(log[2].action, "revoked");
  for (const auto& e : log) {
    EXPECT_EQ(e.key_id, key.id);
    EXPECT_EQ(e.actor, "test-admin@ci");
    EXPECT_GT(e.at_ms, 0);
    const std::string all = e.detail.dump();
    EXPECT_EQ(all.find(secret.substr(secret.size() - 32)), std::string::npos);
  }
  EXPECT_LT(log[0].seq, log[1].seq);
  auto everything = keys->audit("", 100);
  ASSERT_EQ(everything.size(), 4u);
  EXPECT_EQ(everything.back().key_id, other.id);
  EXPECT_NE(open_keys()->audit(other.id, 1).front().actor.find('@'), std::string::npos);
}

TEST_P(KeyBudgetCapTest, RevokingCancelsQueuedJobsAndReleasesTheirReservations) {
  auto stores = open_server_stores(url());
  auto key = stores.keys->create(spec(1)).first;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    Job j;
    j.api_key_id = key.id;
    j.spec = Json::object();
    ids.push_back(stores.jobs->enqueue(j).first.id);
    ASSERT_EQ(stores.keys->admit(key.id, ids.back(), 0.1), Admission::admitted);
  }
  auto claimed = stores.jobs->claim("w", 30'000, store::wall_clock_ms());
  ASSERT_TRUE(claimed);
  auto out = revoke_key(*stores.jobs, *stores.keys, key.id, /*cancel_running=*/false);
  EXPECT_TRUE(out.newly_revoked);
  EXPECT_TRUE(stores.keys->charge(ids[0])->key_revoked);  // what a worker reads at a claim
  EXPECT_EQ(out.queued_canceled, 2);
  EXPECT_EQ(stores.keys->usage(key.id).jobs_reserved, 1);  // the running one's
  EXPECT_FALSE(stores.jobs->cancel_requested(claimed->second));
  out = revoke_key(*stores.jobs, *stores.keys, key.id, /*cancel_running=*/true);
  EXPECT_FALSE(out.newly_revoked);
  EXPECT_EQ(out.running_cancel_asked, 1);
  EXPECT_TRUE(stores.jobs->cancel_requested(claimed->second));
  EXPECT_THROW(revoke_key(*stores.jobs, *stores.keys, "key_0000000000000000", false), Error);
}

// A database written before key policies and the audit log opens and gains them.
TEST_P(KeyBudgetCapTest, AnOlderDatabaseIsUpgradedInPlace) {
  std::string key_id;
  {
    auto keys = open_keys();
    key_id = keys->create(spec(1)).first.id;
  }
  if (engine() == "sqlite") {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_file().c_str(), &db), SQLITE_OK);
    for (const char* sql : {"ALTER TABLE api_keys DROP COLUMN policy",
                            "ALTER TABLE key_charges DROP COLUMN absorbed_nanos",
                            "DROP TABLE key_audit", "DROP TABLE key_uploads"})
      ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  } else {
    pg::Conn c(url());
    c.run("ALTER TABLE reel_api_keys DROP COLUMN policy");
    c.run("ALTER TABLE reel_key_charges DROP COLUMN absorbed_nanos");
    c.run("DROP TABLE reel_key_audit");
    c.run("DROP TABLE reel_key_uploads");
    c.run("UPDATE reel_schema SET version = 1");
  }
  auto keys = open_keys();
  EXPECT_EQ(keys->get(key_id)->policy, "");
  KeyUpdate change;
  change.policy = "commercial-safe";
  keys->update(key_id, change);
  EXPECT_EQ(keys->get(key_id)->policy, "commercial-safe");
  ASSERT_EQ(keys->admit(key_id, "old-db-job", 0.1), Admission::admitted);
  EXPECT_TRUE(keys->settle("old-db-job", 0.5));
  EXPECT_NEAR(keys->usage(key_id).absorbed_usd, 0.5 - 0.2, 1e-9);  // its cap: 0.1 + 100 %
  keys->record_upload(key_id, 10, 100);  // the uploads table is created in place too
  EXPECT_EQ(keys->usage(key_id).uploads, 1);
  EXPECT_EQ(keys->audit(key_id, 10).size(), 1u);  // the update (the create predates the log)
}

INSTANTIATE_TEST_SUITE_P(Engines, KeyBudgetCapTest, store_engines(), engine_name);

}  // namespace
}  // namespace reel::server
