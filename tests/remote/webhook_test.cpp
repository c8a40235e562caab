#include "reel/remote/webhook.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "reel/core/error.hpp"
#include "remote/test_http_endpoint.hpp"

namespace reel::remote {
namespace {

using testing::respond;
using testing::TestHttpEndpoint;

// 32 bytes 0x00..0x1f in base64.
const std::string kSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const std::string kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ErrorKind kind_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no reel::Error thrown";
  return ErrorKind::Internal;
}

WebhookOptions fast_local() {
  WebhookOptions o;
  o.allow_private = true;
  o.initial_backoff = std::chrono::milliseconds(20);
  o.max_backoff = std::chrono::milliseconds(100);
  o.attempt_timeout = std::chrono::milliseconds(2000);
  o.deadline = std::chrono::milliseconds(10'000);
  return o;
}

TEST(Webhook, SignatureMatchesOpensslCommandLine) {
  const std::string body = R"({"type":"job.succeeded","data":{"id":"abc"}})";
  const std::int64_t ts = 1700000000;
  // Computed independently of reel: the openssl CLI over the spec's signed content.
  const std::string expected =
      "v1," +
      shell("printf '%s' 'msg_1." + std::to_string(ts) + "." + body +
            "' | openssl dgst -sha256 -mac HMAC -macopt hexkey:" + kKeyHex + " -binary | base64");
  ASSERT_GT(expected.size(), 40u) << "openssl CLI not available";
  EXPECT_EQ(sign_webhook(kSecret, "msg_1", ts, body), expected);
}

TEST(Webhook, VerifyAcceptsOwnSignatureAndRejectsTampering) {
  const std::string body = R"({"a":1})";
  const std::int64_t ts = now();
  WebhookHeaders h{"msg_2", std::to_string(ts), sign_webhook(kSecret, "msg_2", ts, body)};
  EXPECT_EQ(verify_webhook(kSecret, h, body, now()), WebhookVerdict::Valid);

  EXPECT_EQ(verify_webhook(kSecret, h, R"({"a":2})", now()), WebhookVerdict::BadSignature);
  WebhookHeaders other_id = h;
  other_id.id = "msg_3";
  EXPECT_EQ(verify_webhook(kSecret, other_id, body, now()), WebhookVerdict::BadSignature);
  WebhookHeaders shifted = h;
  shifted.timestamp = std::to_string(ts + 1);
  EXPECT_EQ(verify_webhook(kSecret, shifted, body, now()), WebhookVerdict::BadSignature);
  const std::string other_secret = generate_webhook_secret();
  EXPECT_EQ(verify_webhook(other_secret, h, body, now()), WebhookVerdict::BadSignature);
}

TEST(Webhook, VerifyChecksTimestampToleranceAndForm) {
  const std::string body = "{}";
  const std::int64_t old = now() - 600;
  WebhookHeaders h{"msg_4", std::to_string(old), sign_webhook(kSecret, "msg_4", old, body)};
  EXPECT_EQ(verify_webhook(kSecret, h, body, now()), WebhookVerdict::StaleTimestamp);
  EXPECT_EQ(verify_webhook(kSecret, h, body, now(), std::chrono::seconds(900)),
            WebhookVerdict::Valid);
  WebhookHeaders bad_ts = h;
  bad_ts.timestamp = "12x";
  EXPECT_EQ(verify_webhook(kSecret, bad_ts, body, now()), WebhookVerdict::Malformed);
  WebhookHeaders no_v1 = h;
  no_v1.signature = "v2,abc";
  no_v1.timestamp = std::to_string(now());
  EXPECT_EQ(verify_webhook(kSecret, no_v1, body, now()), WebhookVerdict::Malformed);
}

TEST(Webhook, VerifyAcceptsAnyMatchingEntryForKeyRotation) {
  const std::int64_t ts = now();
  const std::string good = sign_webhook(kSecret, "msg_5", ts, "x");
  WebhookHeaders h{"msg_5", std::to_string(ts), "v1,AAAAAAAA " + good};
  EXPECT_EQ(verify_webhook(kSecret, h, "x", now()), WebhookVerdict::Valid);
}

TEST(Webhook, SecretsAreCheckedAndGenerated) {
  const std::string s = generate_webhook_secret();
  EXPECT_TRUE(s.starts_with("whsec_"));
  EXPECT_NE(s, generate_webhook_secret());
  EXPECT_EQ(kind_of([] { sign_webhook("whsec_c2hvcnQ=", "m", 1, "b"); }), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of([] { sign_webhook("not base64!", "m", 1, "b"); }), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of([] { sign_webhook(kSecret, "bad id", 1, "b"); }), ErrorKind::InvalidInput);
}

TEST(Webhook, DeliversSignedEventToReceiver) {
  TestHttpEndpoint receiver([](const auto&, auto& s) { respond(s, 204); });
  const std::string body = webhook_event_body("job.succeeded", {{"id", "j1"}});
  WebhookDelivery d = deliver_webhook(receiver.url("/hook"), kSecret, "evt_1", body, fast_local());
  EXPECT_TRUE(d.delivered) << d.last_error;
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_status, 204);
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/hook");
  EXPECT_EQ(got[0].body, body);
  WebhookHeaders h{got[0].header("webhook-id"), got[0].header("webhook-timestamp"),
                   got[0].header("webhook-signature")};
  EXPECT_EQ(h.id, "evt_1");
  EXPECT_EQ(verify_webhook(kSecret, h, got[0].body, now()), WebhookVerdict::Valid);
  auto j = Json::parse(body);
  EXPECT_EQ(j["type"], "job.succeeded");
  EXPECT_EQ(j["data"]["id"], "j1");
}

TEST(Webhook, RetriesAfterServerErrorWithSameId) {
  std::atomic<int> calls{0};
  TestHttpEndpoint receiver([&](const auto&, auto& s) { respond(s, ++calls == 1 ? 500 : 200); });
  const auto t0 = std::chrono::steady_clock::now();
  WebhookDelivery d = deliver_webhook(receiver.url(), kSecret, "evt_2", "{}", fast_local());
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(d.delivered);
  EXPECT_EQ(d.attempts, 2);
  EXPECT_GE(waited, std::chrono::milliseconds(20));  // the backoff was honoured
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].header("webhook-id"), got[1].header("webhook-id"));
}

TEST(Webhook, ClientErrorIsFinalAndRedirectNotFollowed) {
  TestHttpEndpoint gone([](const auto&, auto& s) { respond(s, 410); });
  WebhookDelivery d = deliver_webhook(gone.url(), kSecret, "evt_3", "{}", fast_local());
  EXPECT_FALSE(d.delivered);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_status, 410);
  TestHttpEndpoint moved(
      [](const auto&, auto& s) { respond(s, 302, "", "Location: http://10.0.0.1/\r\n"); });
  d = deliver_webhook(moved.url(), kSecret, "evt_4", "{}", fast_local());
  EXPECT_FALSE(d.delivered);
  EXPECT_EQ(moved.requests().size(), 1u);
}

TEST(Webhook, GivesUpAtAttemptLimitAndDeadline) {
  TestHttpEndpoint down([](const auto&, auto& s) { respond(s, 503); });
  WebhookOptions o = fast_local();
  o.max_attempts = 3;
  WebhookDelivery d = deliver_webhook(down.url(), kSecret, "evt_5", "{}", o);
  EXPECT_FALSE(d.delivered);
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(down.requests().size(), 3u);

  // A receiver that never answers: each attempt ends at attempt_timeout, all by deadline.
  TestHttpEndpoint silent(
      [](const auto&, auto&) { std::this_thread::sleep_for(std::chrono::milliseconds(700)); });
  o.max_attempts = 10;
  o.attempt_timeout = std::chrono::milliseconds(150);
  o.deadline = std::chrono::milliseconds(500);
  const auto t0 = std::chrono::steady_clock::now();
  d = deliver_webhook(silent.url(), kSecret, "evt_6", "{}", o);
  EXPECT_FALSE(d.delivered);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500));
  EXPECT_NE(d.last_error.find("timed out"), std::string::npos) << d.last_error;
}

TEST(Webhook, RefusesPrivateAndNonHttpUrls) {
  TestHttpEndpoint receiver([](const auto&, auto& s) { respond(s, 200); });
  WebhookOptions o = fast_local();
  o.allow_private = false;
  EXPECT_EQ(kind_of([&] { deliver_webhook(receiver.url(), kSecret, "e", "{}", o); }),
            ErrorKind::Policy);
  EXPECT_TRUE(receiver.requests().empty()) << "a refused address must not be dialled";
  for (const char* url :
       {"http://localhost/", "http://10.1.2.3/", "http://192.168.0.1:8080/", "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/", "http://2130706433/", "http://0177.0.0.1/", "http://[fd00::1]/",
        "http://100.64.0.1/"})
    EXPECT_EQ(kind_of([&] { check_webhook_url(url); }), ErrorKind::Policy) << url;
  for (const char* url :
       {"file:///etc/passwd", "gopher://x/", "ftp://example.com/", "http://user@example.com/",
        "http:///x", "http://example.com:0/", "http://example.com:99999/", "http://exa mple.com/"})
    EXPECT_EQ(kind_of([&] { check_webhook_url(url); }), ErrorKind::InvalidInput) << url;
  EXPECT_NO_THROW(check_webhook_url("http://8.8.8.8/hook"));
  EXPECT_NO_THROW(check_webhook_url("http://127.0.0.1:9/hook", /*allow_private=*/true));
}

}  // namespace
}  // namespace reel::remote
