// MP4 signing: uuid box after ftyp, chunk offsets shifted, c2pa.hash.bmff.v3, for both
// moov-last and +faststart layouts. Test videos come from the ffmpeg CLI.
#include <gtest/gtest.h>

#include "prov_test_util.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel::provenance {
namespace {
using namespace reel::provenance::testing;
namespace fs = std::filesystem;

class Mp4Sign : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!make_mp4(dir_ / "in.mp4", GetParam()))
      GTEST_SKIP() << "ffmpeg CLI with libx264 not available";
    keys_ = init_keys(dir_ / "keys");
    cfg_ = {keys_.key_pem, keys_.cert_chain_pem};
    fs::copy_file(dir_ / "in.mp4", dir_ / "out.mp4");
    sign_file(dir_ / "out.mp4", sample_facts("out.mp4"), cfg_);
  }
  reel::testing::TempDir dir_;
  KeyPaths keys_;
  SigningConfig cfg_;
};

TEST_P(Mp4Sign, PutsTheManifestBoxRightAfterFtyp) {
  const Bytes in = read_bytes(dir_ / "in.mp4");
  const Bytes out = read_bytes(dir_ / "out.mp4");
  const auto ftyp_size =
      static_cast<std::size_t>((in[0] << 24) | (in[1] << 16) | (in[2] << 8) | in[3]);
  EXPECT_EQ(find_box(out, "uuid"), ftyp_size);
  const std::size_t uuid_size = (std::size_t{out[ftyp_size]} << 24) | (out[ftyp_size + 1] << 16) |
                                (out[ftyp_size + 2] << 8) | out[ftyp_size + 3];
  EXPECT_EQ(out.size(), in.size() + uuid_size);
  // Everything after the inserted box is byte-identical except the chunk offsets.
  ASSERT_TRUE(find_box(in, "mdat") && find_box(out, "mdat"));
  EXPECT_EQ(*find_box(out, "mdat"), *find_box(in, "mdat") + uuid_size);
}

TEST_P(Mp4Sign, VerifiesValidThenTrustedWithTheRoot) {
  const VerifyResult r = verify_file(dir_ / "out.mp4");
  EXPECT_TRUE(r.valid) << r.text();
  EXPECT_FALSE(r.trusted);
  EXPECT_TRUE(contains(r.status_codes, "assertion.bmffHash.match"));
  const VerifyResult t = verify_file(dir_ / "out.mp4", {keys_.root_ca_pem});
  EXPECT_TRUE(t.trusted) << t.text();
  EXPECT_EQ(t.summary["format"], "video/mp4");
}

TEST_P(Mp4Sign, DecodedFramesAreUnchanged) {
  const std::string before = frame_md5(dir_ / "in.mp4");
  const std::string after = frame_md5(dir_ / "out.mp4");
  ASSERT_FALSE(before.empty());
  EXPECT_GE(std::count(before.begin(), before.end(), '\n'), 24);  // 1 s at 24 fps
  EXPECT_EQ(before, after);
}

TEST_P(Mp4Sign, ResigningReplacesTheManifestAndKeepsFrames) {
  const std::size_t once = fs::file_size(dir_ / "out.mp4");
  sign_file(dir_ / "out.mp4", sample_facts("out.mp4"), cfg_);
  EXPECT_EQ(fs::file_size(dir_ / "out.mp4"), once);
  EXPECT_TRUE(verify_file(dir_ / "out.mp4").valid);
  EXPECT_EQ(frame_md5(dir_ / "in.mp4"), frame_md5(dir_ / "out.mp4"));
}

TEST_P(Mp4Sign, OneFlippedMdatByteIsABmffHashMismatch) {
  Bytes out = read_bytes(dir_ / "out.mp4");
  const std::size_t mdat = *find_box(out, "mdat");
  out[mdat + 100] ^= 0x01;
  write_bytes(dir_ / "out.mp4", out);
  const VerifyResult r = verify_file(dir_ / "out.mp4");
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(contains(r.failures, "assertion.bmffHash.mismatch")) << r.text();
}

INSTANTIATE_TEST_SUITE_P(Layouts, Mp4Sign, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "faststart" : "moov_last"; });

TEST(Mp4SignErrors, RefusesFilesThatAreNotMp4OrPng) {
  reel::testing::TempDir dir;
  const KeyPaths k = init_keys(dir / "keys");
  Bytes junk = {0, 0, 0, 8,   'f', 't', 'y', 'p',
                0, 0, 0, 200, 'm', 'd', 'a', 't'};  // 2nd box overruns
  write_bytes(dir / "bad.mp4", junk);
  EXPECT_THROW(sign_file(dir / "bad.mp4", sample_facts("bad.mp4"), {k.key_pem, k.cert_chain_pem}),
               Error);
  EXPECT_EQ(read_bytes(dir / "bad.mp4"), junk);
}

}  // namespace
}  // namespace reel::provenance
