// Unit tests of the HTTP API's pieces that need no socket: routing, query parsing, the
// JSON depth guard, the token bucket, problem documents and the OpenAPI document.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "reel/core/error.hpp"
#include "reel/server/http_server.hpp"
#include "server/api_routes.hpp"
#include "server/api_types.hpp"

namespace reel::server {
namespace {

TEST(HttpApi, ClassifiesRoutesBeforeAnyBodyIsRead) {
  EXPECT_EQ(classify("POST", "/v1/jobs").body, BodyKind::json);
  EXPECT_EQ(classify("POST", "/v1/artifacts").body, BodyKind::upload);
  EXPECT_EQ(classify("GET", "/v1/jobs/abc").name, "GET /v1/jobs/{id}");
  EXPECT_TRUE(classify("GET", "/v1/jobs/abc/events").auth);
  EXPECT_FALSE(classify("GET", "/healthz").auth);
  EXPECT_FALSE(classify("GET", "/v1/openapi.json").auth);
  EXPECT_FALSE(classify("DELETE", "/v1/jobs/abc").method_ok);
  // Extra segments (traversal attempts) match no route at all.
  EXPECT_FALSE(classify("GET", "/v1/artifacts/../../etc/passwd").known);
  EXPECT_FALSE(classify("GET", "/v1/jobs/a/b/c").known);
  EXPECT_FALSE(classify("GET", "relative").known);
}

TEST(HttpApi, Hex32IsTheOnlyIdShape) {
  EXPECT_TRUE(is_hex32("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_hex32("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(is_hex32("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(is_hex32("..%2f456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_hex32(std::string("0123456789abcdef0123456789abcde\0", 32)));
}

TEST(HttpApi, QueryStringsArePercentDecoded) {
  auto q = parse_query("status=queued&cursor=ab%63&limit=5&flag&x=a+b");
  EXPECT_EQ(q["status"], "queued");
  EXPECT_EQ(q["cursor"], "abc");
  EXPECT_EQ(q["limit"], "5");
  EXPECT_EQ(q["flag"], "");
  EXPECT_EQ(q["x"], "a b");
  EXPECT_THROW(parse_query("a=%zz"), Error);
  EXPECT_THROW(parse_query("a=%4"), Error);
}

TEST(HttpApi, JsonDepthSkipsStringsAndCountsNesting) {
  EXPECT_EQ(json_depth("{}"), 1);
  EXPECT_EQ(json_depth(R"({"a": [1, {"b": "[[[[\"]]"}]})"), 3);
  EXPECT_EQ(json_depth(std::string(100000, '[') + std::string(100000, ']')), 100000);
  EXPECT_EQ(json_depth("42"), 0);
}

TEST(HttpApi, TokenBucketRefusesPastTheRateAndSaysWhen) {
  RateLimiter r;
  int retry = 0;
  EXPECT_TRUE(r.take("k", 2, retry));
  EXPECT_TRUE(r.take("k", 2, retry));
  EXPECT_FALSE(r.take("k", 2, retry));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 30);  // 2 per minute: a token every 30 s
  EXPECT_TRUE(r.take("other", 2, retry)) << "buckets are per key";
}

TEST(HttpApi, ProblemsCarryAStableTypeAndStatus) {
  ApiResponse p = problem(402, "over-budget", "needs $1, has $0");
  EXPECT_EQ(p.status, 402);
  EXPECT_EQ(p.content_type, "application/problem+json");
  Json j = Json::parse(p.body);
  EXPECT_EQ(j["type"], "https://reel.dev/problems/over-budget");
  EXPECT_EQ(j["status"], 402);
  EXPECT_EQ(j["detail"], "needs $1, has $0");
  EXPECT_NE(j["title"], "over-budget");
  // Invalid UTF-8 in a detail (echoed user text) never breaks the document.
  EXPECT_NO_THROW(Json::parse(problem(422, "invalid-request", "bad \xff byte").body));
}

TEST(HttpApi, OpenApiDocumentMatchesDocsAndCoversEveryRoute) {
  Json served = Json::parse(openapi_document());
  std::ifstream in(std::string(REEL_SOURCE_DIR) + "/docs/openapi.json");
  ASSERT_TRUE(in) << "docs/openapi.json missing";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(served, Json::parse(text.str())) << "docs/openapi.json and the served document differ";
  EXPECT_EQ(served["openapi"], "3.1.0");
  const std::pair<const char*, const char*> routes[] = {{"post", "/v1/jobs"},
                                                        {"get", "/v1/jobs"},
                                                        {"get", "/v1/jobs/{id}"},
                                                        {"post", "/v1/jobs/{id}/cancel"},
                                                        {"get", "/v1/jobs/{id}/events"},
                                                        {"post", "/v1/artifacts"},
                                                        {"get", "/v1/artifacts/{hash}"},
                                                        {"get", "/v1/models"},
                                                        {"get", "/v1/usage"},
                                                        {"post", "/v1/estimates"},
                                                        {"get", "/healthz"},
                                                        {"get", "/readyz"},
                                                        {"get", "/metrics"},
                                                        {"get", "/v1/openapi.json"}};
  for (auto [method, path] : routes) {
    EXPECT_TRUE(served["paths"].contains(path) && served["paths"][path].contains(method))
        << method << " " << path << " is not in the OpenAPI document";
    std::string concrete = path;
    for (auto [from, to] : {std::pair{"{id}", "x"}, std::pair{"{hash}", "x"}})
      if (auto pos = concrete.find(from); pos != std::string::npos)
        concrete.replace(pos, std::string(from).size(), to);
    std::string upper = method;
    for (auto& c : upper) c = static_cast<char>(std::toupper(c));
    RouteInfo r = classify(upper, concrete);
    EXPECT_TRUE(r.known && r.method_ok) << method << " " << path << " is not routed";
  }
}

}  // namespace
}  // namespace reel::server
