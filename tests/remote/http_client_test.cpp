#include "remote/http_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "remote/address_policy.hpp"
#include "remote/test_http_endpoint.hpp"

namespace reel::remote {
namespace {

namespace fs = std::filesystem;
using testing::respond;
using testing::TestHttpEndpoint;

fs::path temp_dir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("reel_remote_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(Url, ParsesTheAllowedSubset) {
  Url u = parse_url("http://Example.com:8080/v1/jobs?x=1");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/v1/jobs?x=1");
  EXPECT_EQ(parse_url("https://a.b").port, 443);
  EXPECT_EQ(parse_url("http://a.b").target, "/");
  EXPECT_EQ(parse_url("http://[::1]:9/").host, "::1");
  EXPECT_EQ(parse_url("http://h?q").target, "/?q");
  for (const char* bad : {"", "h:80", "ftp://h/", "http://", "http://h:/", "http://h:x/",
                          "http://u:p@h/", "http://h/#frag", "http://[::1/", "http://h\n/"})
    EXPECT_THROW(parse_url(bad), Error) << bad;
}

TEST(SseParser, AssemblesEventsAcrossAnyChunking) {
  const std::string stream =
      ": heartbeat\r\nid: 1\r\nevent: started\r\ndata: {\"a\":1}\r\n\r\n"
      "id: 2\nevent: step\ndata: line1\ndata: line2\n\n"
      "data: no-type\r\rretry: 10\n\n";
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    SseParser p;
    std::vector<SseEvent> got;
    for (std::size_t i = 0; i < stream.size(); i += chunk)
      p.feed(std::string_view(stream).substr(i, chunk), [&](const SseEvent& e) {
        got.push_back(e);
        return true;
      });
    ASSERT_EQ(got.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(got[0].id, "1");
    EXPECT_EQ(got[0].event, "started");
    EXPECT_EQ(got[0].data, "{\"a\":1}");
    EXPECT_EQ(got[1].event, "step");
    EXPECT_EQ(got[1].data, "line1\nline2");
    EXPECT_EQ(got[2].event, "message");
    EXPECT_EQ(got[2].id, "2");  // the last event id persists
  }
}

TEST(SseParser, StopsWhenAskedAndRefusesHugeLines) {
  SseParser p;
  int n = 0;
  EXPECT_FALSE(p.feed("data: a\n\ndata: b\n\n", [&](const SseEvent&) { return ++n < 1; }));
  EXPECT_EQ(n, 1);
  SseParser small;
  small.max_line_bytes = 16;
  EXPECT_THROW(small.feed(std::string(100, 'x'), [](const SseEvent&) { return true; }), Error);
}

TEST(AddressPolicy, ClassifiesAddresses) {
  auto reason = [](const char* a) {
    return std::string(refused_address_reason(boost::asio::ip::make_address(a)));
  };
  for (const char* refused : {"127.0.0.1", "10.0.0.1", "172.31.255.255", "192.168.1.1",
                              "169.254.169.254", "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1",
                              "fc00::1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:c0a8:0101::1"})
    EXPECT_FALSE(reason(refused).empty()) << refused;
  for (const char* allowed : {"8.8.8.8", "172.32.0.1", "1.1.1.1", "2606:4700::1111"})
    EXPECT_TRUE(reason(allowed).empty()) << allowed;
}

TEST(HttpClient, SendsRequestAndReadsAnswer) {
  TestHttpEndpoint server([](const testing::ReceivedRequest& r, auto& s) {
    respond(s, 201, "echo:" + r.body, "X-Thing: yes\r\n");
  });
  HttpClient c;
  HttpResponse r = c.request("POST", parse_url(server.url("/v1/x?y=1")),
                             {{"Authorization", "Bearer k"}}, "hello");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "echo:hello");
  EXPECT_EQ(r.header("x-thing"), "yes");
  auto got = server.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/v1/x?y=1");
  EXPECT_EQ(got[0].header("Authorization"), "Bearer k");
}

TEST(HttpClient, CapsBodiesAndTimesOut) {
  TestHttpEndpoint big([](const auto&, auto& s) { respond(s, 200, std::string(5000, 'z')); });
  HttpOptions o;
  o.max_body_bytes = 1000;
  HttpClient c(o);
  EXPECT_THROW(c.request("GET", parse_url(big.url())), Error);

  TestHttpEndpoint slow(
      [](const auto&, auto&) { std::this_thread::sleep_for(std::chrono::milliseconds(600)); });
  HttpOptions t;
  t.io_timeout = std::chrono::milliseconds(100);
  HttpClient ct(t);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    ct.request("GET", parse_url(slow.url()));
    ADD_FAILURE() << "no timeout";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
}

TEST(HttpClient, RefusesConnectionToNothing) {
  std::uint16_t port;
  {
    TestHttpEndpoint gone([](const auto&, auto& s) { respond(s, 200); });
    port = gone.port();
  }
  HttpClient c;
  try {
    c.request("GET", parse_url("http://127.0.0.1:" + std::to_string(port) + "/"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
  }
}

TEST(HttpClient, DownloadIsWholeOrAbsent) {
  const fs::path dir = temp_dir("download");
  const std::string payload(200'000, 'q');
  TestHttpEndpoint server([&](const testing::ReceivedRequest& r, auto& s) {
    if (r.target == "/ok") return respond(s, 200, payload);
    if (r.target == "/missing") return respond(s, 404, R"({"title":"not found"})");
    // Announces more than it sends, then hangs up: a truncated download.
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(500, 'x');
    boost::asio::write(s, boost::asio::buffer(head));
  });
  HttpClient c;
  HttpResponse r = c.download(parse_url(server.url("/ok")), {}, dir / "a.bin", 1 << 20);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(fs::file_size(dir / "a.bin"), payload.size());

  r = c.download(parse_url(server.url("/missing")), {}, dir / "b.bin", 1 << 20);
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(fs::exists(dir / "b.bin"));

  EXPECT_THROW(c.download(parse_url(server.url("/ok")), {}, dir / "c.bin", 1000), Error);
  EXPECT_THROW(c.download(parse_url(server.url("/cut")), {}, dir / "d.bin", 1 << 20), Error);
  EXPECT_FALSE(fs::exists(dir / "c.bin"));
  EXPECT_FALSE(fs::exists(dir / "d.bin"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "no temporaries left behind";
  fs::remove_all(dir);
}

TEST(HttpClient, StreamsServerSentEvents) {
  TestHttpEndpoint server([](const auto&, auto& s) {
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(head));
    for (int i = 1; i <= 3; ++i) {
      std::string ev = "id: " + std::to_string(i) +
                       "\nevent: progress\ndata: {\"n\":" + std::to_string(i) + "}\n\n";
      boost::asio::write(s, boost::asio::buffer(ev));
      std::this_thread::sleep_for(std::chrono::milliseconds(i == 1 ? 300 : 10));
    }
  });
  HttpClient c;
  std::vector<SseEvent> got;
  std::vector<std::chrono::steady_clock::time_point> at;
  HttpResponse r = c.stream_events(parse_url(server.url("/events")), {}, [&](const SseEvent& e) {
    got.push_back(e);
    at.push_back(std::chrono::steady_clock::now());
    return true;
  });
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].id, "3");
  // Live: the first event arrived while the server was still pausing, not at the end.
  EXPECT_GE(at[1] - at[0], std::chrono::milliseconds(250));
  EXPECT_EQ(Json::parse(got[2].data)["n"], 3);
  EXPECT_EQ(server.requests()[0].header("Accept"), "text/event-stream");
}

}  // namespace
}  // namespace reel::remote
