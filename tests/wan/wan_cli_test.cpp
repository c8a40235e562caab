// Black-box: `reel models` shows where Wan weights are expected, and `reel calibrate`
// measures through the child (tests/wan/fake_reel_neural.py standing in for it),
// stores the profile under $REEL_HOME/calibration and prints the 10-second estimate.
#include <gtest/gtest.h>

#include <fstream>

#include "reel/core/json.hpp"
#include "wan_test_util.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;

struct WanCli : ::testing::Test {
  testing::TempDir dir;
  std::string env() const {
    return "REEL_HOME=" + (dir / "home").string() +
           " REEL_NEURAL_BIN=" + std::string(testing::kFakeChild) + " ";
  }
  testing::CommandResult reel(const std::string& args) const {
    return testing::run_command(env() + REEL_BINARY_DIR "/bin/reel " + args + " 2>&1");
  }
};

TEST_F(WanCli, ModelsSaysWhereWeightsAreExpected) {
  auto r = reel("models --weights " + (dir / "models").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string expected = (dir / "models" / "Wan2.2-TI2V-5B" / "config.json").string();
  EXPECT_NE(r.output.find("weights: not found, expected at " + expected), std::string::npos)
      << r.output;
  testing::make_placeholder_folder(dir / "models", wan::wan_spec("wan2.2-ti2v-5b"));
  r = reel("models --weights " + (dir / "models").string());
  EXPECT_NE(r.output.find("weights: found at " + (dir / "models" / "Wan2.2-TI2V-5B").string()),
            std::string::npos)
      << r.output;
}

TEST_F(WanCli, CalibrateStoresTheProfileAndPricesATenSecondClip) {
  const auto& spec = wan::wan_spec("wan2.1-t2v-1.3b");
  const fs::path folder = testing::make_placeholder_folder(dir / "models", spec);
  // Missing weights: NotFound (exit 4) naming the folder's expected file.
  auto r = reel("calibrate wan2.1-t2v-1.3b --weights " + (dir / "nowhere").string());
  EXPECT_EQ(r.status, 4) << r.output;  // NotFound
  EXPECT_NE(r.output.find((dir / "nowhere" / "Wan2.1-T2V-1.3B" / "config.json").string()),
            std::string::npos)
      << r.output;

  r = reel("calibrate wan2.1-t2v-1.3b --weights " + folder.string() + " --json");
  ASSERT_EQ(r.status, 0) << r.output;
  Json j = Json::parse(r.output);
  EXPECT_EQ(j["model"], "wan2.1-t2v-1.3b");
  EXPECT_EQ(j["device"], "cpu");
  // Default small size: a quarter of 832x480, in multiples of 16; 5 frames, 2 steps.
  EXPECT_EQ(j["width"], 208);
  EXPECT_EQ(j["height"], 112);
  EXPECT_EQ(j["frames"], 5);
  EXPECT_EQ(j["clip_10s"]["frames"], 161);  // 160 at 16 fps → 1 + 4k
  EXPECT_GT(j["clip_10s"]["estimated_usd"].get<double>(), 0.0);
  const fs::path stored = dir / "home" / "calibration" / "wan2.1-t2v-1.3b.cpu.json";
  ASSERT_TRUE(fs::exists(stored));

  // `reel models` now shows the measured profile.
  r = reel("models --json --weights wan2.1-t2v-1.3b=" + folder.string());
  Json models = Json::parse(r.output);
  for (auto& m : models)
    if (m["id"] == "wan2.1-t2v-1.3b") {
      EXPECT_DOUBLE_EQ(m["cost_profile"]["seconds_per_megapixel"].get<double>(),
                       j["cost_profile"]["seconds_per_megapixel"].get<double>());
      EXPECT_NE(m["cost_profile"]["measured_on"].get<std::string>().find("reel calibrate"),
                std::string::npos);
    }

  // The text form prints the figures and the estimate.
  r = reel("calibrate wan2.1-t2v-1.3b --weights " + folder.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("10-second clip (832x480, 161 frames"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("s/step"), std::string::npos) << r.output;
}

TEST_F(WanCli, KillingReelTakesTheChildWithIt) {
  // reel is SIGKILLed mid-run (no chance to cancel): the kernel's parent-death signal
  // must still end reel-neural (here the test double, hanging after its first line).
  const auto& spec = wan::wan_spec("wan2.1-t2v-1.3b");
  const fs::path folder = testing::make_placeholder_folder(dir / "models", spec);
  const fs::path pidfile = dir / "child.pid";
  auto r = testing::run_command(
      "mkdir -p " + (dir / "tmp").string() + "; TMPDIR=" + (dir / "tmp").string() +
      " FAKE_WAN_MODE=hang FAKE_WAN_PIDFILE=" + pidfile.string() + " " + env() +
      REEL_BINARY_DIR "/bin/reel calibrate wan2.1-t2v-1.3b --weights " + folder.string() +
      " >/dev/null 2>&1 & REEL=$!; for i in $(seq 100); do [ -s " + pidfile.string() +
      " ] && break; sleep 0.05; done; sleep 0.2; kill -9 $REEL; wait $REEL 2>/dev/null; "
      "for i in $(seq 100); do kill -0 $(cat " +
      pidfile.string() +
      ") 2>/dev/null || { echo gone; exit 0; }; sleep 0.05; done; kill -9 $(cat " +
      pidfile.string() + "); echo alive");
  EXPECT_TRUE(fs::exists(pidfile));
  EXPECT_EQ(r.output, "gone\n");
  // reel had no chance to remove its temp folder (it lies in this test's folder).
}

TEST_F(WanCli, ExamplePipelineRunsWithWeightsAndIsRefusedByCommercialSafe) {
  const fs::path neural = REEL_BINARY_DIR "/bin/reel-neural";
  if (!fs::exists(neural)) GTEST_SKIP() << "reel-neural not built";
  auto made = testing::run_command("/usr/bin/python3 " REEL_SOURCE_DIR
                                   "/tests/reference/make_wan_folder.py --kind ti2v --out " +
                                       (dir / "models" / "Wan2.2-TI2V-5B").string(),
                                   true);
  ASSERT_EQ(made.status, 0) << made.output;
  const std::string file = REEL_SOURCE_DIR "/examples/astronaut_on_mars_wan.yaml";
  const std::string small =
      " --set character.width=128 --set character.height=64 --set environment.width=128"
      " --set environment.height=64 --set film.width=64 --set film.height=64"
      " --set film.duration=0.2 --set film.extra.steps=2 --no-sign --json --out " +
      (dir / "wan.mp4").string();
  // The real child this time: REEL_NEURAL_BIN unset, found beside reel.
  auto r = testing::run_command("REEL_HOME=" + (dir / "home").string() +
                                " " REEL_BINARY_DIR "/bin/reel run " + file + " --weights " +
                                (dir / "models").string() + small + " 2>/dev/null");
  ASSERT_EQ(r.status, 0) << r.output;
  Json j = Json::parse(r.output);
  EXPECT_EQ(j["cost"]["steps"][2]["model"], "wan2.2-ti2v-5b");
  // 0.2 s x 24 fps = 5 frames (already 1 + 4k).
  auto probe = reel("probe " + (dir / "wan.mp4").string() + " --json");
  EXPECT_EQ(Json::parse(probe.output)["frame_count"], 5) << probe.output;

  r = reel("run " + file + " --dry-run --policy commercial-safe");
  EXPECT_EQ(r.status, 9) << r.output;  // refused by policy
  EXPECT_NE(r.output.find("training data 'undisclosed'"), std::string::npos) << r.output;
}

// The pre-flight check at the CLI: `--dry-run` and a real run refuse what would fail at the
// Wan step before the stills are made, with the documented exit codes (docs/cli.md).
TEST_F(WanCli, DryRunAndRunRefuseWhatTheWanStepWouldRefuseBeforeAnyStill) {
  const std::string file = REEL_SOURCE_DIR "/examples/astronaut_on_mars_wan.yaml";
  // No weights: exit 4 naming the step, the model and what it needs; no still stored.
  for (const char* mode : {" --dry-run", " --out out.mp4 --no-sign"}) {
    auto r = reel("run " + file + mode);
    EXPECT_EQ(r.status, 4) << r.output;
    EXPECT_NE(r.output.find("step 'film': model 'wan2.2-ti2v-5b' cannot run here"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("needs: weights:Wan2.2-TI2V-5B"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("character started"), std::string::npos) << r.output;
  }
  const fs::path objects = dir / "home" / "store" / "objects";
  EXPECT_TRUE(!fs::exists(objects) || fs::is_empty(objects)) << "a still was stored";

  testing::make_placeholder_folder(dir / "models", wan::wan_spec("wan2.2-ti2v-5b"));
  const std::string weights = " --weights " + (dir / "models").string() + " --dry-run";
  auto r = reel("run " + file + weights + " --json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(Json::parse(r.output)["steps"][2]["estimate_source"], "published") << r.output;
  // Wan2.2's sides are multiples of 32: 360 is refused at the plan, with the nearest sides.
  r = reel("run " + file + weights + " --set film.height=360");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("step 'film'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("height 360 must be a multiple of 32"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ask for 352 or 384"), std::string::npos) << r.output;
  // An unknown param, and an unknown extra key, each name what is allowed.
  r = reel("run " + file + weights + " --set film.bogus=1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("unknown param 'bogus'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("allowed: motion, duration, fps"), std::string::npos) << r.output;
  r = reel("run " + file + weights + " --set film.extra.bogus_key=1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(
      r.output.find("unknown extra key 'bogus_key'; allowed: steps, shift, guidance, sampler"),
      std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace reel
