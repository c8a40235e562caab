#include "reel/provenance/jumbf.hpp"

#include <gtest/gtest.h>

#include "reel/core/error.hpp"

namespace reel::provenance {
namespace {

using B = std::vector<std::uint8_t>;

JumbfBox sample() {
  return JumbfBox::super(
      "c2pa", "c2pa",
      {JumbfBox::super(
          "c2ma", "urn:c2pa:1234",
          {JumbfBox::super("c2as", "c2pa.assertions",
                           {JumbfBox::super("cbor", "c2pa.actions.v2",
                                            {JumbfBox::content_box("cbor", B{0xA0})})}),
           JumbfBox::super("c2cl", "c2pa.claim.v2",
                           {JumbfBox::content_box("cbor", B{0xA1, 0x01, 0x02})})})});
}

TEST(Jumbf, TypeUuidsFollowTheC2paPattern) {
  const Uuid16 u = jumbf_type("c2pa");
  const Uuid16 want = {0x63, 0x32, 0x70, 0x61, 0x00, 0x11, 0x00, 0x10,
                       0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
  EXPECT_EQ(u, want);
}

TEST(Jumbf, WritesDescriptionBoxesWithLabelToggle) {
  const B bytes =
      jumbf_write(JumbfBox::super("cbor", "x", {JumbfBox::content_box("cbor", B{0xF6})}));
  // jumb(8) + jumd(8+16+1+2) + cbor(8+1)
  ASSERT_EQ(bytes.size(), 8u + 27u + 9u);
  EXPECT_EQ(std::string(bytes.begin() + 4, bytes.begin() + 8), "jumb");
  EXPECT_EQ(std::string(bytes.begin() + 12, bytes.begin() + 16), "jumd");
  EXPECT_EQ(bytes[32], 0x03);  // toggles: requestable + label
  EXPECT_EQ(bytes[33], 'x');
  EXPECT_EQ(bytes[34], 0);
}

TEST(Jumbf, RoundTripsAndRecordsOffsets) {
  const B bytes = jumbf_write(sample());
  const JumbfBox r = jumbf_read(bytes);
  EXPECT_TRUE(r.has_type("c2pa"));
  ASSERT_EQ(r.children.size(), 1u);
  const JumbfBox& m = r.children[0];
  EXPECT_EQ(m.label, "urn:c2pa:1234");
  const JumbfBox* claim = m.child("c2pa.claim.v2");
  ASSERT_NE(claim, nullptr);
  EXPECT_EQ(claim->first_content()->content, B({0xA1, 0x01, 0x02}));
  // The recorded range is the box itself: re-serialising it gives the same bytes.
  const B again = jumbf_write(sample().children[0].children[1]);
  EXPECT_EQ(B(bytes.begin() + claim->offset, bytes.begin() + claim->offset + claim->size), again);
  EXPECT_EQ(jumbf_write(r), bytes);
}

TEST(Jumbf, RejectsOversizedAndMalformedBoxes) {
  B good = jumbf_write(sample());
  B oversized = good;
  oversized[3] = static_cast<std::uint8_t>(oversized[3] + 1);  // outer size one past the data
  EXPECT_THROW(jumbf_read(oversized), Error);
  B huge = good;
  huge[0] = 0x7F;  // 2 GiB box
  EXPECT_THROW(jumbf_read(huge), Error);
  B truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  EXPECT_THROW(jumbf_read(truncated), Error);
  B no_jumd = good;
  no_jumd[12] = 'x';
  EXPECT_THROW(jumbf_read(no_jumd), Error);
  B tiny_child = good;
  // The first child starts after jumb(8) + jumd(8+16+1+"c2pa\0"): give it size 3.
  tiny_child[38] = tiny_child[39] = tiny_child[40] = 0;
  tiny_child[41] = 3;
  EXPECT_THROW(jumbf_read(tiny_child), Error);
  EXPECT_THROW(jumbf_read(B{}), Error);
}

TEST(Jumbf, NestingDepthIsBounded) {
  JumbfBox b = JumbfBox::super("c2pa", "leaf");
  for (int i = 0; i < 40; ++i) b = JumbfBox::super("c2pa", "n", {b});
  const B bytes = jumbf_write(b);
  try {
    jumbf_read(bytes);
    FAIL() << "40-deep nesting accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("deeper"), std::string::npos);
  }
}

}  // namespace
}  // namespace reel::provenance
