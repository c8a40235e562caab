// Black-box: `reel run` with a hosted model against the fal protocol double — a kill -9
// while it waits, a re-run that resumes the same task, a third run from the cache, the
// key nowhere on disk or on the terminal, and Content Credentials naming the model.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/provider_double.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kKey = "fal-test-Secret-9a8b7c6d5e4f";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ProvidersCli, KillNineMidPollThenReRunResumesTheTaskAndPaysOnce) {
  testing::TempDir dir;
  testing::DoubleProcess fal("fal", kKey);
  fal.configure({{"never_finish", true}});
  std::ofstream(dir / "still.yaml") << "reel: 1\nname: hosted_still\nseed: 3\noutput: still\n"
                                       "steps:\n  - id: still\n    task: text_to_image\n"
                                       "    model: fal:fal-ai/flux/dev\n    params:\n"
                                       "      prompt: \"product shot of a ceramic mug\"\n"
                                       "      width: 64\n      height: 48\n";
  const std::string env = "REEL_HOME=" + (dir / "home").string() + " FAL_KEY=" + kKey +
                          " REEL_FAL_BASE_URL=" + fal.base_url() + " REEL_PROVIDER_POLL_MS=20 ";
  const std::string run = env + REEL_BINARY_DIR "/bin/reel run " + (dir / "still.yaml").string() +
                          " --out " + (dir / "out" / "still.png").string();

  // 1. Started, killed with SIGKILL while it polls: nothing unwinds.
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string cmd = "exec env " + run + " >" + (dir / "run1.log").string() + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (fal.count("poll") < 3 && std::chrono::steady_clock::now() - t0 < 30s)
    std::this_thread::sleep_for(20ms);
  ASSERT_GE(fal.count("poll"), 3) << slurp(dir / "run1.log");
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(fal.count("submit"), 1);
  EXPECT_EQ(fal.count("cancel"), 0);

  // 2. The re-run waits on the same task: still one submission.
  fal.configure({{"never_finish", false}, {"polls_before_done", 0}});
  testing::CommandResult second = testing::run_command(run, /*merge_stderr=*/true);
  ASSERT_EQ(second.status, 0) << second.output;
  EXPECT_EQ(fal.count("submit"), 1);
  EXPECT_EQ(fal.count("download"), 1);
  EXPECT_TRUE(fs::exists(dir / "out" / "still.png"));
  // Its cost report charges the provider's price rule (1 MP at $0.025), not machine time.
  testing::CommandResult cost = testing::run_command(
      env + REEL_BINARY_DIR "/bin/reel cost --json " + (dir / "out" / "still.png").string(), true);
  EXPECT_NE(cost.output.find("\"paid\": true"), std::string::npos) << cost.output;
  EXPECT_NE(cost.output.find("\"price_rule_usd\": 0.025"), std::string::npos) << cost.output;

  // 3. Identical again: a cache hit, no request at all.
  const std::size_t requests = fal.state()["requests"].size();
  testing::CommandResult third = testing::run_command(run, true);
  ASSERT_EQ(third.status, 0) << third.output;
  EXPECT_EQ(fal.state()["requests"].size(), requests);
  EXPECT_EQ(fal.count("download"), 1);

  // The key is on no terminal and in no file reel wrote.
  for (const auto& out : {second.output, third.output, slurp(dir / "run1.log")})
    EXPECT_EQ(out.find(kKey), std::string::npos) << out;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    if (e.is_regular_file() && e.path().filename() != "still.yaml") {
      EXPECT_EQ(slurp(e.path()).find(kKey), std::string::npos) << e.path();
    }
  }

  // The output's Content Credentials name the hosted model as its generator.
  testing::CommandResult verify = testing::run_command(
      env + REEL_BINARY_DIR "/bin/reel verify --json " + (dir / "out" / "still.png").string(),
      true);
  EXPECT_NE(verify.output.find("fal:fal-ai/flux/dev"), std::string::npos) << verify.output;
  // The independent verifier (c2pa-rs, tests/provenance/node) reads the same: a valid
  // manifest whose c2pa.created action's agent is the hosted model, as AI-made media.
  const fs::path node_dir = fs::path(REEL_SOURCE_DIR) / "tests/provenance/node";
  if (fs::exists(node_dir / "node_modules/@contentauth/c2pa-wasm")) {
    testing::CommandResult node =
        testing::run_command("node " + (node_dir / "verify.mjs").string() + " " +
                             (dir / "out" / "still.png").string() + " image/png");
    const Json v = Json::parse(node.output);
    EXPECT_EQ(v["state"], "Valid") << node.output;
    const std::string manifest = v["active_manifest"].dump();
    EXPECT_NE(manifest.find("\"org.reel.model_id\":\"fal:fal-ai/flux/dev\""), std::string::npos)
        << manifest;
    EXPECT_NE(manifest.find("trainedAlgorithmicMedia"), std::string::npos) << manifest;
  } else {
    ADD_FAILURE() << "the Node C2PA verifier is not installed (scripts/setup runs npm ci)";
  }
}

TEST(ProvidersCli, ProvidersListsAdaptersPricesAndWhetherAKeyIsSetNeverTheKey) {
  testing::TempDir dir;
  const std::string env = "REEL_HOME=" + (dir / "home").string() + " FAL_KEY=" + kKey + " ";
  testing::CommandResult r =
      testing::run_command(env + REEL_BINARY_DIR "/bin/reel providers --json", true);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find(kKey), std::string::npos);
  const Json j = Json::parse(r.output);
  bool fal_seen = false;
  int licensed_seen = 0;
  for (const auto& p : j) {
    if (p["provider"] == "fal") {
      fal_seen = true;
      EXPECT_TRUE(p["key_set"].get<bool>());
    }
    if (p["provider"] == "replicate") {
      EXPECT_FALSE(p["key_set"].get<bool>());
    }
    if (p["provider"] == "bria" || p["provider"] == "firefly") {  // the licensed-data ones
      ++licensed_seen;
      EXPECT_FALSE(p["key_set"].get<bool>());
    }
  }
  EXPECT_TRUE(fal_seen);
  EXPECT_EQ(licensed_seen, 2);
  // `reel models` lists them unavailable without a key, saying which variable.
  testing::CommandResult m = testing::run_command(
      "REEL_HOME=" + (dir / "home").string() + " " REEL_BINARY_DIR "/bin/reel models --json", true);
  ASSERT_EQ(m.status, 0) << m.output;
  const Json models = Json::parse(m.output);
  int found = 0;
  for (const auto& c : models) {
    const Json& a = c["availability"];
    if (c["id"] == "fal:fal-ai/flux/dev") {
      ++found;
      EXPECT_EQ(a["available"], false);
      EXPECT_EQ(a["needs"][0], "env:FAL_KEY");
    }
    if (c["id"] == "bria:fibo") {
      ++found;
      EXPECT_EQ(a["available"], false);
      EXPECT_EQ(a["needs"], Json::array({"env:BRIA_API_TOKEN"}));
      EXPECT_NE(a["reason"].get<std::string>().find("BRIA_API_TOKEN"), std::string::npos) << a;
      EXPECT_EQ(c["training_data"], "licensed");
    }
    if (c["id"] == "firefly:image4_standard") {
      ++found;
      EXPECT_EQ(a["available"], false);
      EXPECT_EQ(a["needs"], Json::array({"env:FIREFLY_SERVICES_CLIENT_ID",
                                         "env:FIREFLY_SERVICES_CLIENT_SECRET"}));
      EXPECT_NE(a["reason"].get<std::string>().find("FIREFLY_SERVICES_CLIENT_SECRET"),
                std::string::npos)
          << a;
      EXPECT_EQ(c["training_data"], "licensed");
    }
  }
  EXPECT_EQ(found, 3);
}

}  // namespace
}  // namespace reel

namespace reel {
namespace {

// The hosted examples run as written (against the double in place of fal).
TEST(ProvidersCli, TheHostedExamplesRun) {
  testing::TempDir dir;
  testing::DoubleProcess fal("fal", kKey);
  fal.configure({{"polls_before_done", 1}});
  const std::string env = "REEL_HOME=" + (dir / "home").string() + " FAL_KEY=" + kKey +
                          " REEL_FAL_BASE_URL=" + fal.base_url() + " REEL_PROVIDER_POLL_MS=20 ";
  testing::CommandResult yaml = testing::run_command(
      env + REEL_BINARY_DIR "/bin/reel run " REEL_SOURCE_DIR "/examples/hosted_fal.yaml --out " +
          (dir / "film.mp4").string(),
      true);
  ASSERT_EQ(yaml.status, 0) << yaml.output;
  EXPECT_EQ(fal.count("submit"), 2);  // the still and the clip; the background is local
  EXPECT_NE(yaml.output.find("provider price rule"), std::string::npos) << yaml.output;
  // The two examples docs/providers.md shows first, each against its providers' doubles.
  testing::DoubleProcess bfl("bfl", kKey), runway("runway", kKey),
      kling("kling", kKey, "kling-access-test");
  const std::string more = env + "BFL_API_KEY=" + kKey + " REEL_BFL_BASE_URL=" + bfl.base_url() +
                           " RUNWAYML_API_SECRET=" + kKey +
                           " REEL_RUNWAY_BASE_URL=" + runway.base_url() +
                           " KLING_ACCESS_KEY=kling-access-test KLING_SECRET_KEY=" + kKey +
                           " REEL_KLING_BASE_URL=" + kling.base_url() + " ";
  for (const char* example : {"flux_still_kling_video", "studio_env_runway"}) {
    testing::CommandResult r = testing::run_command(
        more + REEL_BINARY_DIR "/bin/reel run " REEL_SOURCE_DIR "/examples/" + example +
            ".yaml --out " + (dir / (std::string(example) + ".mp4")).string(),
        true);
    ASSERT_EQ(r.status, 0) << example << ": " << r.output;
  }
  EXPECT_EQ(bfl.count("submit"), 1);
  EXPECT_EQ(runway.count("submit"), 1);
  EXPECT_EQ(kling.count("submit"), 1);
  EXPECT_EQ(fal.count("submit"), 2);  // the first example's two calls only
  testing::CommandResult py = testing::run_command(env +
                                                       "REEL_NO_SIGN=1 PYTHONPATH=" REEL_BINARY_DIR
                                                       "/python /usr/bin/python3 " REEL_SOURCE_DIR
                                                       "/examples/hosted_providers.py " +
                                                       (dir / "py.mp4").string(),
                                                   true);
  ASSERT_EQ(py.status, 0) << py.output;
  EXPECT_TRUE(fs::exists(dir / "py.mp4"));
  EXPECT_EQ(fal.count("submit"), 4) << py.output;  // its own still and clip (other seeds)
}

}  // namespace
}  // namespace reel

namespace reel {
namespace {

// Provider API requests carry the key (some in custom headers libcurl would resend to any
// host): a redirect is not followed, so another host never sees the key.
TEST(ProvidersCli, AnApiRedirectIsNotFollowedSoTheKeyStaysWithTheProvider) {
  testing::TempDir dir;
  testing::DoubleProcess fal("fal", kKey), elsewhere("fal", "another-key");
  fal.configure({{"redirect_to", elsewhere.base_url()}});
  const std::string env = "REEL_HOME=" + (dir / "home").string() + " FAL_KEY=" + kKey +
                          " REEL_FAL_BASE_URL=" + fal.base_url() + " REEL_PROVIDER_POLL_MS=20 ";
  std::ofstream(dir / "still.yaml") << "reel: 1\nname: r\nseed: 1\noutput: s\nsteps:\n"
                                       "  - id: s\n    task: text_to_image\n"
                                       "    model: fal:fal-ai/flux/dev\n    params:\n"
                                       "      prompt: \"a mug\"\n";
  testing::CommandResult r =
      testing::run_command(env + REEL_BINARY_DIR "/bin/reel run " + (dir / "still.yaml").string() +
                               " --out " + (dir / "s.png").string(),
                           true);
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("307"), std::string::npos) << r.output;
  EXPECT_TRUE(elsewhere.state()["requests"].empty()) << elsewhere.state().dump();
}

}  // namespace
}  // namespace reel
