#include "reel/provenance/cbor.hpp"

#include <gtest/gtest.h>

#include "reel/core/error.hpp"

namespace reel::provenance {
namespace {

using B = std::vector<std::uint8_t>;

TEST(Cbor, IntegersUseShortestHeads) {
  EXPECT_EQ(cbor_encode(Cbor(0)), B({0x00}));
  EXPECT_EQ(cbor_encode(Cbor(23)), B({0x17}));
  EXPECT_EQ(cbor_encode(Cbor(24)), B({0x18, 0x18}));
  EXPECT_EQ(cbor_encode(Cbor(256)), B({0x19, 0x01, 0x00}));
  EXPECT_EQ(cbor_encode(Cbor(65536)), B({0x1A, 0x00, 0x01, 0x00, 0x00}));
  EXPECT_EQ(cbor_encode(Cbor(std::int64_t{1} << 32)), B({0x1B, 0, 0, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(cbor_encode(Cbor(-1)), B({0x20}));
  EXPECT_EQ(cbor_encode(Cbor(-7)), B({0x26}));         // COSE ES256
  EXPECT_EQ(cbor_encode(Cbor(-37)), B({0x38, 0x24}));  // COSE PS256
}

TEST(Cbor, MapKeysAreSortedByEncodedBytes) {
  // Core deterministic order: shorter encodings first, then bytewise.
  Cbor m = Cbor::map(
      {{Cbor("hash"), Cbor(1)}, {Cbor("alg"), Cbor(2)}, {Cbor(33), Cbor(3)}, {Cbor(1), Cbor(4)}});
  const B enc = cbor_encode(m);
  const B want = {0xA4, 0x01, 0x04, 0x18, 0x21, 0x03, 0x63, 'a', 'l',
                  'g',  0x02, 0x64, 'h',  'a',  's',  'h',  0x01};
  EXPECT_EQ(enc, want);
}

TEST(Cbor, FloatsUseTheShortestExactWidth) {
  EXPECT_EQ(cbor_encode(Cbor(1.5)), B({0xF9, 0x3E, 0x00}));
  EXPECT_EQ(cbor_encode(Cbor(100000.0)), B({0xFA, 0x47, 0xC3, 0x50, 0x00}));
  EXPECT_EQ(cbor_encode(Cbor(1.1)).size(), 9u);
  for (double v : {0.0, -2.0, 0.5, 65504.0, 5.960464477539063e-8, 1.1, 1e300, -0.0001})
    EXPECT_EQ(cbor_decode(cbor_encode(Cbor(v))).as_float(), v) << v;
}

TEST(Cbor, RoundTripsNestedValues) {
  Cbor v = Cbor::map({{Cbor("a"), Cbor::array({Cbor(1), Cbor(-300), Cbor("x"), Cbor(B{1, 2, 3}),
                                               Cbor(true), Cbor()})},
                      {Cbor("t"), Cbor::tag(18, Cbor::array({Cbor(B{}), Cbor::map()}))}});
  const B enc = cbor_encode(v);
  const Cbor back = cbor_decode(enc);
  EXPECT_EQ(cbor_encode(back), enc);
  EXPECT_EQ(back.find("a")->as_array()[1].as_int(), -300);
  EXPECT_EQ(back.find("t")->tag_number(), 18u);
}

TEST(Cbor, JsonBridgeKeepsIntegersAndStrings) {
  const Json j = {{"n", 3}, {"f", 0.25}, {"s", "x"}, {"a", {1, 2}}, {"o", {{"k", nullptr}}}};
  EXPECT_EQ(cbor_to_json(cbor_from_json(j)), j);
}

TEST(Cbor, RejectsMalformedInputWithoutCrashing) {
  const std::vector<B> bad = {
      {},                                                      // empty
      {0x18},                                                  // truncated argument
      {0x62, 'a'},                                             // text shorter than declared
      {0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},  // 2^64-byte string
      {0x9B, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00},  // array of 2^36 items
      {0xBF, 0xFF},                                            // indefinite map
      {0x01, 0x02},                                            // trailing bytes
      {0x1C},                                                  // reserved info
      {0xF8, 0x20},                                            // unsupported simple
  };
  for (const auto& b : bad) EXPECT_THROW(cbor_decode(b), Error) << "input size " << b.size();
}

TEST(Cbor, DepthIsBounded) {
  B deep(10000, 0x81);  // [[[[...
  deep.push_back(0x00);
  try {
    cbor_decode(deep);
    FAIL() << "deep nesting accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("nesting"), std::string::npos);
  }
}

TEST(Cbor, WrongKindAccessNamesTheField) {
  try {
    Cbor(1).as_text("claim signature");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(e.message().find("claim signature"), std::string::npos);
  }
}

}  // namespace
}  // namespace reel::provenance

namespace reel::provenance {
namespace {

TEST(Cbor, TextMustBeValidUtf8BothWays) {
  EXPECT_THROW(cbor_decode(std::vector<std::uint8_t>{0x62, 0xC3, 0x28}),
               Error);  // bad continuation
  EXPECT_THROW(cbor_decode(std::vector<std::uint8_t>{0x63, 0xED, 0xA0, 0x80}), Error);  // surrogate
  EXPECT_EQ(cbor_decode(std::vector<std::uint8_t>{0x62, 0xC3, 0xA9}).as_text(), "\xC3\xA9");
  EXPECT_THROW(cbor_encode(Cbor(std::string("\xFF"))), Error);
}

}  // namespace
}  // namespace reel::provenance
