#include "reel/core/hash.hpp"

#include <gtest/gtest.h>

#include "reel/core/error.hpp"

namespace reel {

TEST(Hash, Sha256MatchesKnownVector) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(to_hex(sha256(std::string_view("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, Xxh3StreamingEqualsOneShot) {
  std::string data(10000, 'x');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  Hasher h;
  h.update(data.substr(0, 1234)).update(data.substr(1234));
  EXPECT_EQ(h.digest(), xxh3_128(data));
}

TEST(Hash, FieldsAreLengthPrefixed) {
  Hasher a, b;
  a.add_field("ab").add_field("c");
  b.add_field("a").add_field("bc");
  EXPECT_NE(a.digest(), b.digest());
}

TEST(Hash, HexRoundTripAndRejectsBadHex) {
  Hash128 h = xxh3_128("reel");
  EXPECT_EQ(h.hex().size(), 32u);
  EXPECT_EQ(Hash128::from_hex(h.hex()), h);
  EXPECT_THROW(Hash128::from_hex("zz"), Error);
  EXPECT_THROW(Hash128::from_hex(std::string(32, 'g')), Error);
  EXPECT_THROW(Hash128::from_hex("../../etc/passwd000000000000000"), Error);
}

}  // namespace reel
