#include "reel/core/error.hpp"

#include <gtest/gtest.h>

#include <set>

#include "reel/core/json.hpp"

namespace reel {

TEST(Error, CarriesKindMessageAndContextOutermostFirst) {
  try {
    with_context("running step 'bg'", [] {
      with_context("loading weights", [] { throw_error(ErrorKind::ModelLoad, "missing key x"); });
    });
    FAIL() << "expected a throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
    EXPECT_EQ(e.message(), "missing key x");
    ASSERT_EQ(e.context().size(), 2u);
    EXPECT_EQ(e.context()[0], "running step 'bg'");
    EXPECT_STREQ(e.what(), "running step 'bg': loading weights: missing key x");
  }
}

TEST(Error, SerialisesToJson) {
  Error e(ErrorKind::InvalidInput, "width must be 16..7680");
  e.add_context("step 'character'");
  Json j = Json::parse(e.to_json());
  EXPECT_EQ(j["error"]["kind"], "InvalidInput");
  EXPECT_EQ(j["error"]["message"], "width must be 16..7680");
  EXPECT_EQ(j["error"]["context"][0], "step 'character'");
  EXPECT_EQ(j["error"]["exit_code"], 2);
}

TEST(Error, ExitCodesAreDistinctPerKind) {
  std::set<int> codes;
  for (auto k : {ErrorKind::InvalidInput, ErrorKind::Io, ErrorKind::NotFound, ErrorKind::ModelLoad,
                 ErrorKind::OutOfMemory, ErrorKind::Cancelled, ErrorKind::Budget,
                 ErrorKind::Unsupported, ErrorKind::Policy, ErrorKind::Internal})
    EXPECT_TRUE(codes.insert(exit_code(k)).second) << to_string(k);
  EXPECT_EQ(codes.count(0), 0u);
  EXPECT_EQ(codes.count(1), 0u);
}

TEST(Error, BadAllocBecomesOutOfMemoryWithContext) {
  try {
    with_context("allocating frames", []() -> int { throw std::bad_alloc(); });
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(e.context().at(0), "allocating frames");
  }
}

}  // namespace reel

namespace reel {
TEST(Error, JsonSurvivesInvalidUtf8InTheMessage) {
  Error e(ErrorKind::InvalidInput, std::string("bad byte \xff\xfe here"));
  Json j = Json::parse(e.to_json());
  EXPECT_EQ(j["error"]["kind"], "InvalidInput");
}
}  // namespace reel
