#include "reel/pipeline/ledger.hpp"

#include <gtest/gtest.h>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"

namespace reel::pipeline {

TEST(PriceSheet, DefaultH100PriceIsTheSeedArticles) {
  PriceSheet p = PriceSheet::defaults();
  // $1.30 per 40 GPU-minutes.
  EXPECT_NEAR(p.price("cuda:0", Seconds(40 * 60), 1).value, 1.30, 1e-9);
  EXPECT_NEAR(p.price("h100", Seconds(3600), 1).value, 1.95, 1e-9);
  // CPU is priced per core held.
  EXPECT_NEAR(p.price("cpu", Seconds(3600), 2).value, 2 * p.cpu_core_hour_usd, 1e-12);
}

TEST(PriceSheet, LoadsOverridesAndRejectsNonsense) {
  testing::TempDir dir;
  write_file_atomic(
      dir / "p.json",
      std::string_view(R"({"cpu_core_hour_usd": 1.0, "gpu_hour_usd": {"h100": 3.0}})"));
  PriceSheet p = PriceSheet::load(dir / "p.json");
  EXPECT_DOUBLE_EQ(p.price("cpu", Seconds(3600), 1).value, 1.0);
  EXPECT_DOUBLE_EQ(p.price("cuda", Seconds(3600), 1).value, 3.0);
  write_file_atomic(dir / "bad.json", std::string_view(R"({"cpu_core_hour_usd": -1})"));
  EXPECT_THROW(PriceSheet::load(dir / "bad.json"), Error);
  write_file_atomic(dir / "bad2.json", std::string_view(R"({"gpu_per_hour": 1})"));
  try {
    PriceSheet::load(dir / "bad2.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("allowed"), std::string::npos);
  }
  write_file_atomic(dir / "bad3.json", std::string_view("{not json"));
  EXPECT_THROW(PriceSheet::load(dir / "bad3.json"), Error);
}

TEST(CostLedger, CachedStepsCostNothingAndRecordSavings) {
  CostLedger l(PriceSheet::defaults(), 2);
  l.record_run("a", "m", "cpu", Seconds(10), "k1");
  l.record_cached("b", "m", "cpu", Usd(0.5), Seconds(3), "k2");
  CostReport r;
  r.steps = l.steps();
  r.cpu_cores = 2;
  EXPECT_NEAR(r.total_usd().value, PriceSheet::defaults().price("cpu", Seconds(10), 2).value,
              1e-12);
  EXPECT_DOUBLE_EQ(r.saved_usd().value, 0.5);
  EXPECT_NE(r.to_text().find("cached, saved"), std::string::npos);
}

}  // namespace reel::pipeline
