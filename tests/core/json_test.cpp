// reel::parse_json_strict (API bodies, pipeline files) and the NUL guard of parse_json.
#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "reel/core/json_strict.hpp"

namespace reel {
namespace {

using namespace std::string_literals;

std::string refusal(const std::string& text, int max_depth = 512) {
  try {
    parse_json_strict(text, "body", max_depth);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

TEST(StrictJson, AcceptsOneValueWithWhitespaceAround) {
  EXPECT_EQ(parse_json_strict(" {\"a\": [1, {\"a\": 2}]} \r\n\t", "body"),
            Json::parse(R"({"a": [1, {"a": 2}]})"));
  EXPECT_EQ(parse_json_strict("\"x\\u0000y\"", "body"), "x\0y"s);  // an escaped NUL is data
}

TEST(StrictJson, ANulByteIsRefusedWhereverItIsNamingItsOffset) {
  std::string m = refusal("{\"a\": 1}\0garbage"s);
  EXPECT_NE(m.find("body:1:9: a NUL byte"), std::string::npos) << m;
  EXPECT_NE(m.find("(byte 8)"), std::string::npos) << m;
  EXPECT_NE(refusal("\0{}"s).find("NUL byte"), std::string::npos);
  EXPECT_NE(refusal("{\"a\": \"x\0\"}"s).find("(byte 8)"), std::string::npos);
  // An error before the NUL is the one reported.
  EXPECT_NE(refusal("{\"a\" 1}\0"s).find("(byte 5)"), std::string::npos);
}

TEST(StrictJson, TrailingBytesAreRefusedNamingWhere) {
  std::string m = refusal("{\"a\": 1}\n x");
  EXPECT_NE(m.find("body:2:2: unexpected bytes after the JSON value"), std::string::npos) << m;
  EXPECT_NE(m.find("(byte 10)"), std::string::npos) << m;
  EXPECT_NE(refusal("{}{}").find("after the JSON value"), std::string::npos);
  EXPECT_NE(refusal("[1] [2]").find("(byte 4)"), std::string::npos);
}

TEST(StrictJson, DuplicateKeysAreRefusedNamingTheKeyAndTheObject) {
  EXPECT_NE(refusal(R"({"model": "a", "model": "b"})")
                .find("body: duplicate key 'model' in the object at the top level"),
            std::string::npos);
  std::string m = refusal(R"({"steps": [{"id": 1}, {"id": 2, "p": {"x": 1, "x": 2}}]})");
  EXPECT_NE(m.find("duplicate key 'x' in the object at /steps/1/p"), std::string::npos) << m;
  m = refusal(R"({"a/b~": {"k": [[], {"k": 1, "k": 1}]}})");
  EXPECT_NE(m.find("at /a~1b~0/k/1"), std::string::npos) << m;
  // The same key in sibling objects, or as a value, is fine.
  EXPECT_NO_THROW(parse_json_strict(R"([{"k": 1}, {"k": "k"}])", "body"));
}

TEST(StrictJson, NestingAndNumbersAreBounded) {
  EXPECT_NO_THROW(parse_json_strict("[[[1]]]", "body", 3));
  EXPECT_NE(refusal("[[[[1]]]]", 3).find("body: nested deeper than 3 levels"), std::string::npos);
  std::string deep(100000, '[');
  EXPECT_NE(refusal(deep + std::string(100000, ']'), 64).find("nested deeper"), std::string::npos);
  EXPECT_NE(refusal("[1e400]").find("finite"), std::string::npos);
  EXPECT_NE(refusal("{\"a\" 1}").find("body:1:6: "), std::string::npos);
  EXPECT_NE(refusal("").find("body:1:1: "), std::string::npos);
}

TEST(Json, TheLenientParserStillRefusesANul) {
  EXPECT_EQ(parse_json(R"({"a": 1, "a": 2})", "config")["a"], 2);  // third-party files
  EXPECT_THROW(parse_json("{\"a\": 1}\0x"s, "config"), Error);
  EXPECT_THROW(parse_json("{\"a\": 1} x", "config"), Error);
}

}  // namespace
}  // namespace reel
