// /proc/cpuinfo's bf16 and AMX flags, and the default compute dtype chosen from them
// (docs/neural.md, "Default compute dtype").
#include "reel/neural/cpu_features.hpp"

#include <gtest/gtest.h>

namespace reel::neural {
namespace {

TEST(CpuFeatures, ReadsBf16AndAmxFromCpuinfo) {
  const char* zen4 =
      "processor\t: 0\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu avx2 avx512f avx512_bf16\n\n"
      "processor\t: 1\nmodel name\t: other\nflags\t\t: fpu\n";
  CpuFeatures f = parse_cpu_features(zen4, 2);
  EXPECT_EQ(f.model, "AMD EPYC 9R14");
  EXPECT_EQ(f.cores, 2);
  EXPECT_TRUE(f.avx2 && f.avx512f && f.avx512_bf16);
  EXPECT_FALSE(f.amx_bf16 || f.amx_tile);
  EXPECT_TRUE(f.native_bf16());
  CpuFeatures spr = parse_cpu_features("flags : avx512f amx_bf16 amx_tile amx_int8\n", 4);
  EXPECT_TRUE(spr.amx_bf16 && spr.amx_tile && spr.native_bf16());
  EXPECT_FALSE(parse_cpu_features("flags : avx2 avx512f\n", 4).native_bf16());
  EXPECT_FALSE(parse_cpu_features("", 1).native_bf16());
}

TEST(CpuFeatures, DefaultDtypeIsBf16OnlyOnCpusWithBf16Instructions) {
  CpuFeatures bf16;
  bf16.avx512_bf16 = true;
  EXPECT_EQ(default_compute_dtype(Device::cpu(), bf16), DType::bf16);
  EXPECT_EQ(default_compute_dtype(Device::cpu(), CpuFeatures{}), DType::f32);
  EXPECT_EQ(default_compute_dtype(Device::cuda(0), bf16), DType::f32);
}

}  // namespace
}  // namespace reel::neural
