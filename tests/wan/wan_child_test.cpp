// The adapter's side of the child protocol, against tests/wan/fake_reel_neural.py (a
// test double for `reel-neural generate`): progress, frames, determinism, temp files,
// errors and cancellation (the child must be gone, not just abandoned).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/neural/cpu_features.hpp"
#include "wan_test_util.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using testing::ScopedEnv;
using testing::TempDir;

struct WanChild : ::testing::Test {
  TempDir dir;
  wan::WanOptions options = testing::fake_options(dir);
  // A private temp root, so the test can see that the adapter cleans up after itself.
  ScopedEnv tmp{"TMPDIR", (dir / "tmp").string()};
  void SetUp() override { fs::create_directories(dir / "tmp"); }

  std::shared_ptr<model::Model> model(const char* id = "wan2.1-t2v-1.3b") {
    return wan::make_wan_model(wan::wan_spec(id), options);
  }
  static model::TextToVideoRequest request(std::uint64_t seed = 7) {
    model::TextToVideoRequest r;
    r.prompt = "a red ball rolling";
    r.width = 64;
    r.height = 32;
    r.fps = 16;
    r.duration_seconds = 0.5;  // 8 frames asked → 9 (1 + 4k)
    r.seed = seed;
    r.params = {{"steps", 3}};
    return r;
  }
  model::VideoResult t2v(model::Model& m, const model::TextToVideoRequest& r,
                         model::RunContext& ctx) {
    return model::as_task<model::TextToVideo>(m, model::Task::text_to_video).generate_video(r, ctx);
  }
  bool temp_is_empty() const { return fs::is_empty(dir / "tmp"); }
};

TEST_F(WanChild, TextToVideoStreamsProgressAndReadsFrames) {
  auto m = model();
  std::vector<std::pair<double, std::string>> progress;
  model::RunContext ctx;
  ctx.on_progress = [&](double f, std::string_view msg) { progress.emplace_back(f, msg); };
  const fs::path args = dir / "argv.json";
  ScopedEnv record("FAKE_WAN_ARGS", args.string());
  model::VideoResult v = t2v(*m, request(), ctx);
  ASSERT_EQ(v.video.frames.size(), 9u);
  EXPECT_EQ(v.video.width(), 64);
  EXPECT_EQ(v.video.height(), 32);
  EXPECT_EQ(v.video.fps.value(), 16.0);
  EXPECT_EQ(v.video.frames[0].u8_pixel(0, 0)[3], 255);
  // steps 3 → "loading" + 3 step lines, in order, as the child sent them.
  ASSERT_EQ(progress.size(), 4u);
  EXPECT_EQ(progress[1].second, "step 1/3");
  EXPECT_DOUBLE_EQ(progress[3].first, 0.75);
  EXPECT_EQ(v.metadata["frames"], 9);
  EXPECT_EQ(v.metadata["steps"], 3);
  EXPECT_DOUBLE_EQ(v.metadata["timings"]["dit_seconds"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(v.metadata["timings"]["total_seconds"].get<double>(), 3.75);
  ASSERT_EQ(v.notes.size(), 1u);  // the 8 → 9 frames rounding is said out loud
  EXPECT_NE(v.notes[0].find("8 frames rounded to 9"), std::string::npos) << v.notes[0];
  EXPECT_TRUE(temp_is_empty()) << "request, image and output are removed";

  // The child was told the folder, device and a request in the agreed shape.
  std::ifstream in(args);
  Json argv = Json::parse(in);
  EXPECT_EQ(argv[1], "generate");
  EXPECT_EQ(argv[3], (options.models_root / "Wan2.1-T2V-1.3B").string());
  EXPECT_EQ(argv[argv.size() - 1], "cpu");
}

TEST_F(WanChild, FoldersLeftByKilledRunsAreSweptByTheNextRun) {
  // A pid that is gone: a child that exited and was reaped.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const fs::path tmp = dir / "tmp";
  const fs::path orphan = tmp / ("reel-wan-" + std::to_string(dead) + "-a1b2c3");
  const fs::path alive = tmp / "reel-wan-1-a1b2c3";  // pid 1 is always there
  const fs::path foreign = tmp / "reel-wan-notmine";
  for (const fs::path& d : {orphan, alive, foreign}) {
    fs::create_directories(d);
    std::ofstream(d / "frames.safetensors") << "left behind";
  }
  auto m = model();
  model::RunContext ctx;
  t2v(*m, request(), ctx);
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_TRUE(fs::exists(alive / "frames.safetensors"));
  EXPECT_TRUE(fs::exists(foreign / "frames.safetensors"));
  // The run's own folder went too: only the two kept ones remain.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp), fs::directory_iterator()), 2);
}

TEST_F(WanChild, OffloadAndTilingReachTheChildAndTilingTheCacheIdentity) {
  const std::string plain = model()->card().version;
  options.offload = true;
  EXPECT_EQ(model()->card().version, plain);  // offload gives the same pixels
  options.vae_tile = 256;
  options.vae_overlap = 64;
  auto m = model();
  EXPECT_NE(m->card().version, plain);
  const fs::path args = dir / "argv.json";
  ScopedEnv record("FAKE_WAN_ARGS", args.string());
  model::RunContext ctx;
  t2v(*m, request(), ctx);
  std::ifstream in(args);
  const std::string argv = Json::parse(in).dump();
  EXPECT_NE(argv.find("\"--offload\",\"--tile\",\"256\",\"--overlap\",\"64\""), std::string::npos)
      << argv;
}

TEST_F(WanChild, AnUnsetDtypeKeysTheCacheAsTheDtypeTheChildPicks) {
  options.device = "cpu";
  options.dtype.clear();
  const std::string unset = model()->card().version;
  // reel-neural's default on CPUs with bf16 instructions: bf16 DiT and umT5, fp32 VAE.
  const bool bf16 = neural::cpu_features().native_bf16();
  EXPECT_EQ(unset.find("+bf16+vaefp32") != std::string::npos, bf16) << unset;
  options.dtype = "bf16";  // every part in bf16: other pixels again
  EXPECT_NE(model()->card().version, unset);
}

TEST_F(WanChild, SameSeedSameFramesOtherSeedOtherFrames) {
  auto m = model();
  model::RunContext ctx;
  auto a = t2v(*m, request(1), ctx), b = t2v(*m, request(1), ctx), c = t2v(*m, request(2), ctx);
  EXPECT_TRUE(a.video.frames == b.video.frames);
  EXPECT_FALSE(a.video.frames == c.video.frames);
}

TEST_F(WanChild, ChildErrorsKeepTheirKindAndMessage) {
  auto m = model();
  model::RunContext ctx;
  {
    ScopedEnv mode("FAKE_WAN_MODE", "fail");
    try {
      t2v(*m, request(), ctx);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::NotFound);
      EXPECT_NE(std::string(e.what()).find("fake: missing"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("exit 4"), std::string::npos) << e.what();
    }
  }
  {
    ScopedEnv mode("FAKE_WAN_MODE", "bad_shape");
    try {
      t2v(*m, request(), ctx);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Internal);
      EXPECT_NE(std::string(e.what()).find("expected U8 [9, 32, 64, 3]"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_TRUE(temp_is_empty());
  options.neural_bin = dir / "missing-binary";
  EXPECT_THROW(t2v(*model(), request(), ctx), Error);
}

// Runs a generation on another thread, cancels it once the child is up, and checks the
// call ended with Cancelled and that the child process no longer exists.
void expect_cancel_kills(WanChild& t, const char* mode, std::chrono::milliseconds max_wait) {
  ScopedEnv m("FAKE_WAN_MODE", mode);
  const fs::path pidfile = t.dir / (std::string(mode) + ".pid");
  ScopedEnv p("FAKE_WAN_PIDFILE", pidfile.string());
  auto wan = t.model();
  model::RunContext ctx;
  std::atomic<bool> saw_progress{false};
  ctx.on_progress = [&](double, std::string_view) { saw_progress = true; };
  auto run = std::async(std::launch::async, [&] { t.t2v(*wan, WanChild::request(), ctx); });
  for (int i = 0; i < 500 && !(saw_progress && fs::exists(pidfile)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(saw_progress.load());
  int pid = 0;
  std::ifstream(pidfile) >> pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, 0), 0) << "the child is running";
  const auto t0 = std::chrono::steady_clock::now();
  ctx.cancel.cancel();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const auto waited = std::chrono::steady_clock::now() - t0;
  try {
    run.get();
    FAIL() << "expected Cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Cancelled) << e.what();
  }
  EXPECT_LT(waited, max_wait);
  // Reaped, not a zombie: the pid no longer names a process of ours.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_TRUE(t.temp_is_empty());
}

TEST_F(WanChild, CancelSendsSigtermAndTheChildIsGone) {
  expect_cancel_kills(*this, "hang", std::chrono::milliseconds(450));
}

TEST_F(WanChild, CancelEscalatesToSigkillWhenSigtermIsIgnored) {
  // kill_grace is 500 ms in these options: SIGKILL follows after it.
  expect_cancel_kills(*this, "hang_ignore_term", std::chrono::seconds(3));
}

}  // namespace
}  // namespace reel
