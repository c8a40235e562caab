// The Python reference checked against closed-form facts before it judges reel: safetensors
// round trip (F32/BF16/F16), RoPE norm preservation / relativity / 22-21-21 split, [cos, sin]
// timestep embedding, fp32 vs fp64 forward, patch embedding == Conv3d, and the samplers'
// convergence order on a Gaussian whose exact flow is known (tests/reference/self_check.py).
#include <gtest/gtest.h>

#include "neural/reference_case.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural::reference {
namespace {

TEST(ReferenceSelf, ChecksHold) {
  const auto script =
      std::filesystem::path(REEL_SOURCE_DIR) / "tests" / "reference" / "self_check.py";
  const auto r = reel::testing::run_command(python() + " " + quote(script), true);
  EXPECT_EQ(r.status, 0) << r.output;
}

// reel's safetensors reader reads what the reference writes, bf16 included.
TEST(ReferenceSelf, ReelReadsTheReferenceFiles) {
  reel::testing::TempDir dir;
  make_case(dir.path(), "--kind t2v");
  if (HasFatalFailure()) return;
  const auto weights = SafetensorsFile::open(dir / "weights.safetensors");
  EXPECT_NE(weights.find("blocks.1.self_attn.norm_q.weight"), nullptr);
  EXPECT_NE(weights.find("head.modulation"), nullptr);
  const Tensor y = load(dir / "expected.safetensors", "y");
  EXPECT_EQ(y.shape, (std::vector<std::int64_t>{4, 3, 8, 8}));
  EXPECT_GT(max_abs(y), 0.5);
}

}  // namespace
}  // namespace reel::neural::reference
