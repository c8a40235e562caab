// ReelClient against a scripted endpoint (test double) for the edge cases a healthy
// server does not produce on demand; the real server is in e2e_server_test.cpp.
#include "reel/remote/client.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "reel/core/error.hpp"
#include "remote/test_http_endpoint.hpp"

namespace reel::remote {
namespace {

using testing::ReceivedRequest;
using testing::respond;
using testing::TestHttpEndpoint;

const std::string kHash = "0123456789abcdef0123456789abcdef";

Json job_json(const std::string& status) {
  Json j = {{"id", "j1"}, {"status", status}};
  if (status == "succeeded")
    j["result"] = {{"output", "film"},
                   {"artifacts",
                    {{"film",
                      {{"hash", kHash},
                       {"kind", "video"},
                       {"media_type", "video/mp4"},
                       {"url", "/v1/artifacts/" + kHash}}}}},
                   {"cost", {{"total_usd", 0.5}}}};
  if (status == "failed")
    j["error"] = {{"type", "https://reel.dev/problems/invalid-request"},
                  {"title", "Invalid request"},
                  {"status", 422},
                  {"detail", "step 'x': width too large"}};
  return j;
}

ReelClient client_for(const TestHttpEndpoint& ep) {
  return ReelClient({.server = ep.url(""), .api_key = "reel_k1_abc"});
}

ErrorKind kind_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no reel::Error thrown";
  return ErrorKind::Internal;
}

TEST(ReelClient, RefusesMissingServerOrKey) {
  EXPECT_EQ(kind_of([] { ReelClient({.server = "", .api_key = "k"}); }), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of([] { ReelClient({.server = "http://h:1", .api_key = ""}); }),
            ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of([] { ReelClient({.server = "ftp://h", .api_key = "k"}); }),
            ErrorKind::InvalidInput);
}

TEST(ReelClient, SubmitSendsKeyBodyAndHeaders) {
  TestHttpEndpoint ep([](const ReceivedRequest&, auto& s) {
    respond(s, 202, job_json("queued").dump(), "Content-Type: application/json\r\n");
  });
  ReelClient c = client_for(ep);
  Json pipeline = {{"reel", 1}, {"name", "t"}, {"steps", Json::array()}};
  Job j = c.submit_pipeline(pipeline, {.idempotency_key = "abc", .prefer_wait_seconds = 5});
  EXPECT_EQ(j.id(), "j1");
  EXPECT_EQ(j.status(), "queued");
  EXPECT_FALSE(j.finished());
  auto got = ep.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/v1/jobs");
  EXPECT_EQ(got[0].header("Authorization"), "Bearer reel_k1_abc");
  EXPECT_EQ(got[0].header("Idempotency-Key"), "abc");
  EXPECT_EQ(got[0].header("Prefer"), "wait=5");
  EXPECT_EQ(Json::parse(got[0].body)["pipeline"], pipeline);
  EXPECT_EQ(kind_of([&] { c.submit(Json{{"x", 1}}); }), ErrorKind::InvalidInput);
}

TEST(ReelClient, MapsProblemsToErrorKinds) {
  std::atomic<int> status{0};
  TestHttpEndpoint ep([&](const ReceivedRequest&, auto& s) {
    Json p = {{"type", "https://reel.dev/problems/x"},
              {"title", "T"},
              {"status", status.load()},
              {"detail", "the detail"}};
    respond(s, status, p.dump(), "Content-Type: application/problem+json\r\nRetry-After: 7\r\n");
  });
  ReelClient c = client_for(ep);
  const std::pair<int, ErrorKind> table[] = {
      {401, ErrorKind::InvalidInput}, {403, ErrorKind::Policy},
      {402, ErrorKind::Budget},       {404, ErrorKind::NotFound},
      {422, ErrorKind::InvalidInput}, {429, ErrorKind::Budget},
      {500, ErrorKind::Io},           {503, ErrorKind::Io}};
  for (auto [code, kind] : table) {
    status = code;
    std::string msg;
    EXPECT_EQ(kind_of([&] { c.get("j1"); }, &msg), kind) << code;
    EXPECT_NE(msg.find("the detail"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(code)), std::string::npos) << msg;
  }
  status = 429;
  std::string msg;
  kind_of([&] { c.usage(); }, &msg);
  EXPECT_NE(msg.find("retry after 7"), std::string::npos) << msg;
  EXPECT_EQ(kind_of([&] { c.get("../etc"); }), ErrorKind::InvalidInput);
  EXPECT_EQ(kind_of([&] { c.download("../x", "/tmp/x"); }), ErrorKind::InvalidInput);
}

TEST(ReelClient, WaitFollowsEventsThenReadsTheJob) {
  std::atomic<int> gets{0};
  TestHttpEndpoint ep([&](const ReceivedRequest& r, auto& s) {
    if (r.target == "/v1/jobs/j1/events") {
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
      head += "id: 1\nevent: started\ndata: {\"step\":\"film\"}\n\n";
      head += ": heartbeat\n\n";
      head += "id: 2\nevent: progress\ndata: {\"step\":\"film\",\"fraction\":0.5}\n\n";
      head += "id: 3\nevent: succeeded\ndata: {}\n\n";
      boost::asio::write(s, boost::asio::buffer(head));
      return;
    }
    respond(s, 200, job_json(++gets == 1 ? "running" : "succeeded").dump());
  });
  ReelClient c = client_for(ep);
  std::vector<std::string> types;
  Job j = c.wait("j1", {.on_event = [&](const JobEvent& e) { types.push_back(e.type); }});
  EXPECT_EQ(j.status(), "succeeded");
  EXPECT_EQ(types, (std::vector<std::string>{"started", "progress", "succeeded"}));
  EXPECT_EQ(j.output().hash, kHash);
  EXPECT_EQ(j.cost()["total_usd"], 0.5);
}

TEST(ReelClient, WaitPollsWhenNoEventStreamAndReportsFailure) {
  std::atomic<int> gets{0};
  TestHttpEndpoint ep([&](const ReceivedRequest& r, auto& s) {
    if (r.target.ends_with("/events")) return respond(s, 501, "{}");
    respond(s, 200, job_json(++gets < 3 ? "running" : "failed").dump());
  });
  ReelClient c = client_for(ep);
  std::string msg;
  EXPECT_EQ(kind_of([&] { c.wait("j1", {.poll_interval = std::chrono::milliseconds(10)}); }, &msg),
            ErrorKind::InvalidInput);
  EXPECT_NE(msg.find("width too large"), std::string::npos) << msg;
  EXPECT_EQ(gets.load(), 3);
}

TEST(ReelClient, WaitTimesOutAndCanceledJobsThrowCancelled) {
  TestHttpEndpoint running([](const ReceivedRequest& r, auto& s) {
    if (r.target.ends_with("/events")) return respond(s, 404, "{}");
    respond(s, 200, job_json("running").dump());
  });
  ReelClient c = client_for(running);
  // 404 on the stream means the job is gone for this key: NotFound, not a silent poll.
  EXPECT_EQ(kind_of([&] { c.wait("j1", {.timeout = std::chrono::milliseconds(100)}); }),
            ErrorKind::NotFound);
  EXPECT_EQ(kind_of([&] {
              c.wait("j1", {.timeout = std::chrono::milliseconds(100), .use_events = false});
            }),
            ErrorKind::Io);
  TestHttpEndpoint canceled(
      [](const ReceivedRequest&, auto& s) { respond(s, 200, job_json("canceled").dump()); });
  ReelClient c2 = client_for(canceled);
  EXPECT_EQ(kind_of([&] { c2.wait("j1"); }), ErrorKind::Cancelled);
}

TEST(ReelClient, UploadsAndChecksArtifacts) {
  TestHttpEndpoint ep([](const ReceivedRequest& r, auto& s) {
    if (r.method == "POST") return respond(s, 201, Json{{"hash", kHash}}.dump());
    if (r.target.ends_with(kHash)) return respond(s, 206, "x");
    respond(s, 404, "{}");
  });
  ReelClient c = client_for(ep);
  EXPECT_EQ(c.upload_image("\x89PNG fake"), kHash);
  EXPECT_EQ(ep.requests()[0].header("Content-Type"), "image/png");
  EXPECT_EQ(ep.requests()[0].body, "\x89PNG fake");
  EXPECT_TRUE(c.has_artifact(kHash));
  EXPECT_FALSE(c.has_artifact("ffffffffffffffffffffffffffffffff"));
  EXPECT_EQ(kind_of([&] { c.upload_image("x", "image/gif"); }), ErrorKind::InvalidInput);
}

}  // namespace
}  // namespace reel::remote
