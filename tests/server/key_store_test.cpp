// API keys, budgets and the usage ledger, on both engines.
#include "reel/server/key_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "reel/core/error.hpp"
#include "server/store_fixture.hpp"

namespace reel::server {
namespace {

class KeyStoreTest : public StoreTest {
 protected:
  static ApiKey spec(double budget_usd, const std::string& name = "test") {
    ApiKey k;
    k.name = name;
    k.budget_usd = budget_usd;
    return k;
  }
};

TEST_P(KeyStoreTest, CreateAuthenticateAndRevoke) {
  auto keys = open_keys();
  ApiKey s = spec(10, "studio");
  s.max_concurrent = 2;
  s.max_width = 1280;
  s.max_duration_s = 8.5;
  auto [key, secret] = keys->create(s);
  EXPECT_EQ(key.id.rfind("key_", 0), 0u);
  EXPECT_EQ(key.id.size(), 20u);
  EXPECT_EQ(secret.rfind("reel_" + key.id + "_", 0), 0u);
  EXPECT_EQ(secret.size(), 5 + 20 + 1 + 32u);
  EXPECT_GT(key.created_ms, 0);

  auto found = keys->authenticate(secret);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, key.id);
  EXPECT_EQ(found->name, "studio");
  EXPECT_DOUBLE_EQ(found->budget_usd, 10);
  EXPECT_EQ(found->max_concurrent, 2);
  EXPECT_EQ(found->max_width, 1280);
  EXPECT_DOUBLE_EQ(found->max_duration_s, 8.5);
  EXPECT_FALSE(found->revoked);

  // Another store on the same database sees the key (a second server process).
  auto other = open_keys();
  ASSERT_TRUE(other->get(key.id));
  EXPECT_EQ(other->list().size(), 1u);

  EXPECT_TRUE(keys->revoke(key.id));
  EXPECT_FALSE(keys->revoke(key.id));
  EXPECT_FALSE(keys->revoke("key_0000000000000000"));
  auto revoked = keys->authenticate(secret);
  ASSERT_TRUE(revoked);  // the caller answers 403, not 401
  EXPECT_TRUE(revoked->revoked);
  EXPECT_EQ(keys->admit(key.id, "job-1", 1), Admission::revoked);
}

TEST_P(KeyStoreTest, MalformedOrWrongSecretsAreUnknown) {
  auto keys = open_keys();
  auto [key, secret] = keys->create(spec(-1));
  std::string wrong = secret;
  wrong.back() = wrong.back() == '0' ? '1' : '0';  // right id, wrong secret
  for (const std::string& bad :
       {std::string(), std::string("reel_"), wrong, secret + "0",
        secret.substr(0, secret.size() - 1), "Bearer " + secret,
        std::string("reel_key_zzzzzzzzzzzzzzzz_") + std::string(32, '0'),
        std::string("reel_") + key.id + "_" + std::string(32, 'G'),
        std::string("reel_key_0000000000000000_") + std::string(32, '0'),
        std::string("x' OR '1'='1"), std::string("reel_") + key.id + std::string(33, '\0')})
    EXPECT_FALSE(keys->authenticate(bad)) << bad;
  // Secrets are stored only as hashes: two keys never share one, and the id alone is not one.
  EXPECT_FALSE(keys->authenticate(key.id));
  auto [key2, secret2] = keys->create(spec(-1));
  EXPECT_NE(secret, secret2);
  EXPECT_EQ(keys->authenticate(secret2)->id, key2.id);
}

TEST_P(KeyStoreTest, RefusesBadLimits) {
  auto keys = open_keys();
  ApiKey s = spec(5);
  s.max_concurrent = 0;
  EXPECT_THROW(keys->create(s), Error);
  s = spec(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THROW(keys->create(s), Error);
  s = spec(5);
  s.max_frames = -1;
  EXPECT_THROW(keys->create(s), Error);
  EXPECT_TRUE(keys->list().empty());
  auto [key, secret] = keys->create(spec(5));
  EXPECT_THROW(keys->admit(key.id, "j", -1), Error);
  EXPECT_THROW(keys->admit(key.id, "j", std::numeric_limits<double>::infinity()), Error);
}

TEST_P(KeyStoreTest, AdmitSettleReleaseAndUsage) {
  auto keys = open_keys();
  auto [key, secret] = keys->create(spec(1.0));
  EXPECT_EQ(keys->admit(key.id, "j1", 0.4), Admission::admitted);
  EXPECT_EQ(keys->admit(key.id, "j1", 0.4), Admission::admitted);  // same job: no more
  EXPECT_EQ(keys->admit(key.id, "j2", 0.4), Admission::admitted);
  EXPECT_EQ(keys->admit(key.id, "j3", 0.4), Admission::over_budget);  // 1.2 > 1.0
  EXPECT_EQ(keys->admit("key_ffffffffffffffff", "j4", 0.1), Admission::unknown_key);
  auto u = keys->usage(key.id);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0.8);
  EXPECT_EQ(u.jobs_reserved, 2);
  EXPECT_EQ(u.jobs_settled, 0);

  EXPECT_TRUE(keys->settle("j1", 0.25));
  EXPECT_FALSE(keys->settle("j1", 0.25));  // exactly once
  EXPECT_FALSE(keys->settle("never-admitted", 1));
  EXPECT_TRUE(keys->release("j2"));
  EXPECT_FALSE(keys->release("j2"));
  EXPECT_FALSE(keys->settle("j2", 0.1));  // released: no charge after all
  EXPECT_FALSE(keys->release("j1"));      // settled: the charge stays
  u = keys->usage(key.id);
  EXPECT_DOUBLE_EQ(u.spent_usd, 0.25);
  EXPECT_DOUBLE_EQ(u.reserved_usd, 0);
  EXPECT_EQ(u.jobs_settled, 1);
  EXPECT_EQ(u.jobs_reserved, 0);
  EXPECT_DOUBLE_EQ(u.budget_usd, 1.0);
  auto k = keys->get(key.id);
  EXPECT_DOUBLE_EQ(k->spent_usd, 0.25);
  // The freed room is admissible again: 0.25 + 0.75 fits exactly; a cent more does not.
  EXPECT_EQ(keys->admit(key.id, "j5", 0.75), Admission::admitted);
  EXPECT_EQ(keys->admit(key.id, "j6", 0.01), Admission::over_budget);
  EXPECT_THROW(keys->usage("key_ffffffffffffffff"), Error);

  auto [free_key, s2] = keys->create(spec(-1));
  EXPECT_EQ(keys->admit(free_key.id, "big", 1e6), Admission::admitted);
  EXPECT_DOUBLE_EQ(keys->usage(free_key.id).budget_usd, -1);
}

// 100 admits of 0.10 against a 2.50 budget from 5 stores (connections) at once: exactly 25
// get in and the reservations never pass the budget.
TEST_P(KeyStoreTest, ConcurrentAdmitsNeverOverspend) {
  std::string key_id;
  {
    auto keys = open_keys();
    key_id = keys->create(spec(2.5)).first.id;
  }
  constexpr int kStores = 5, kPerStore = 20;
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int s = 0; s < kStores; ++s) {
    threads.emplace_back([&, s] {
      auto keys = open_keys();
      std::vector<std::thread> inner;
      for (int t = 0; t < 4; ++t) {
        inner.emplace_back([&, t] {
          for (int i = t; i < kPerStore; i += 4) {
            auto a = keys->admit(key_id, "job-" + std::to_string(s) + "-" + std::to_string(i), 0.1);
            (a == Admission::admitted ? admitted : refused)++;
          }
        });
      }
      for (auto& t : inner) t.join();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 25);
  EXPECT_EQ(refused.load(), kStores * kPerStore - 25);
  auto u = open_keys()->usage(key_id);
  EXPECT_NEAR(u.reserved_usd, 2.5, 1e-9);
  EXPECT_EQ(u.jobs_reserved, 25);
}

// Many workers racing to settle the same finished jobs: each is charged once.
TEST_P(KeyStoreTest, ConcurrentSettlesChargeOnce) {
  auto keys = open_keys();
  auto key_id = keys->create(spec(-1)).first.id;
  constexpr int kJobs = 40;
  for (int j = 0; j < kJobs; ++j)
    ASSERT_EQ(keys->admit(key_id, "j" + std::to_string(j), 1), Admission::admitted);
  std::atomic<int> settled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto mine = open_keys();
      for (int j = 0; j < kJobs; ++j) settled += mine->settle("j" + std::to_string(j), 0.5) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(settled.load(), kJobs);
  auto u = keys->usage(key_id);
  EXPECT_DOUBLE_EQ(u.spent_usd, kJobs * 0.5);
  EXPECT_EQ(u.jobs_settled, kJobs);
  EXPECT_EQ(u.jobs_reserved, 0);
}

TEST_P(KeyStoreTest, KeysAndJobsShareOneDatabase) {
  auto stores = open_server_stores(url());
  EXPECT_EQ(stores.engine, engine());
  auto [key, secret] = stores.keys->create(spec(3));
  Job j;
  j.api_key_id = key.id;
  j.spec = Json::object();
  auto id = stores.jobs->enqueue(j).first.id;
  EXPECT_EQ(stores.keys->admit(key.id, id, 1), Admission::admitted);
  EXPECT_EQ(stores.jobs->count_active(key.id), 1);
  auto again = open_server_stores(url());
  EXPECT_EQ(again.keys->usage(key.id).jobs_reserved, 1);
  EXPECT_TRUE(again.jobs->get(id));
}

// Uploads are counted per key (not charged), and a key's count is its own.
TEST_P(KeyStoreTest, UploadsAreCountedPerKey) {
  auto keys = open_keys();
  auto a = keys->create(spec(1.0, "a")).first;
  auto b = keys->create(spec(1.0, "b")).first;
  EXPECT_EQ(keys->usage(a.id).uploads, 0);
  keys->record_upload(a.id, 1000, 64 * 64);
  keys->record_upload(a.id, 500, 32 * 32);
  keys->record_upload(b.id, 7, 16 * 16);
  const Usage u = keys->usage(a.id);
  EXPECT_EQ(u.uploads, 2);
  EXPECT_EQ(u.upload_bytes, 1500);
  EXPECT_EQ(u.upload_pixels, 64 * 64 + 32 * 32);
  EXPECT_DOUBLE_EQ(u.spent_usd, 0);  // counted, not charged
  EXPECT_EQ(keys->usage(b.id).uploads, 1);
}

INSTANTIATE_TEST_SUITE_P(Engines, KeyStoreTest, store_engines(), engine_name);

}  // namespace
}  // namespace reel::server
