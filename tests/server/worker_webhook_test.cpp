// Completion webhooks sent by the runner: signed, carrying the job's outcome, delivered off
// the job's critical path, and never sent unsigned. The receiver is the remote tests' local
// HTTP endpoint (a stand-in for a customer's server).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "reel/remote/webhook.hpp"
#include "remote/test_http_endpoint.hpp"
#include "worker_fixture.hpp"

namespace reel::server::test {
namespace {

using namespace std::chrono_literals;
using remote::testing::ReceivedRequest;
using remote::testing::TestHttpEndpoint;

std::vector<ReceivedRequest> wait_requests(TestHttpEndpoint& ep, std::size_t n,
                                           std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (ep.requests().size() < n && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(10ms);
  return ep.requests();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using WorkerWebhook = WorkerFixture;

TEST_F(WorkerWebhook, SucceededAndFailedJobsAreAnnouncedSigned) {
  TestHttpEndpoint receiver([](const auto&, auto& s) { remote::testing::respond(s, 204); });
  const std::string secret = remote::generate_webhook_secret();
  RunnerEnv e = env();
  e.webhook_secret = secret;
  e.webhook_allow_private = true;  // the receiver is on loopback

  Json ok = diag_spec("diag-noop", "hooked");
  ok["webhook"] = {{"url", receiver.url("/hook")}};
  Job j1 = enqueue(ok);
  auto [c1, l1] = *jobs->claim("w1", 30'000, wall_ms());
  ASSERT_EQ(run_job_attempt(e, c1, l1, CancelToken()).end, AttemptEnd::succeeded);

  Json bad = diag_spec("diag-sleep", "hooked bad", {{"fail", "InvalidInput"}});
  bad["webhook"] = {{"url", receiver.url("/hook")}};
  Job j2 = enqueue(bad);
  auto [c2, l2] = *jobs->claim("w1", 30'000, wall_ms());
  ASSERT_EQ(run_job_attempt(e, c2, l2, CancelToken()).end, AttemptEnd::failed);

  auto got = wait_requests(receiver, 2, 10s);
  ASSERT_EQ(got.size(), 2u);
  std::map<std::string, Json> by_job;
  for (const auto& r : got) {
    remote::WebhookHeaders h{r.header("webhook-id"), r.header("webhook-timestamp"),
                             r.header("webhook-signature")};
    EXPECT_EQ(remote::verify_webhook(secret, h, r.body, unix_now()), remote::WebhookVerdict::Valid);
    Json body = Json::parse(r.body);
    by_job[body["data"]["id"].get<std::string>()] = body;
  }
  ASSERT_TRUE(by_job.count(j1.id));
  ASSERT_TRUE(by_job.count(j2.id));
  EXPECT_EQ(by_job[j1.id]["type"], "job.succeeded");
  EXPECT_EQ(by_job[j1.id]["data"]["result"], job(j1.id).result);
  EXPECT_EQ(by_job[j2.id]["type"], "job.failed");
  EXPECT_NE(by_job[j2.id]["data"]["error"].get<std::string>().find("InvalidInput"),
            std::string::npos);
}

TEST_F(WorkerWebhook, SlowReceiverDoesNotHoldTheJob) {
  TestHttpEndpoint receiver([](const auto&, auto& s) {
    std::this_thread::sleep_for(1500ms);
    remote::testing::respond(s, 204);
  });
  RunnerEnv e = env();
  e.webhook_secret = remote::generate_webhook_secret();
  e.webhook_allow_private = true;
  Json spec = diag_spec("diag-noop", "slow hook");
  spec["webhook"] = {{"url", receiver.url("/hook")}};
  enqueue(spec);
  auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(run_job_attempt(e, c, l, CancelToken()).end, AttemptEnd::succeeded);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  EXPECT_EQ(wait_requests(receiver, 1, 10s).size(), 1u);
}

TEST_F(WorkerWebhook, NoSecretMeansNoDelivery) {
  TestHttpEndpoint receiver([](const auto&, auto& s) { remote::testing::respond(s, 204); });
  RunnerEnv e = env();
  e.webhook_allow_private = true;
  Json spec = diag_spec("diag-noop", "unsigned");
  spec["webhook"] = {{"url", receiver.url("/hook")}};
  enqueue(spec);
  auto [c, l] = *jobs->claim("w1", 30'000, wall_ms());
  ASSERT_EQ(run_job_attempt(e, c, l, CancelToken()).end, AttemptEnd::succeeded);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(receiver.requests().empty());
}

}  // namespace
}  // namespace reel::server::test
