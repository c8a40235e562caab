// The pre-flight check with the real Wan adapter and the studio models: absent weights
// refuse a run before any step (nothing rendered, nothing stored), a Wan size or an
// unknown `extra` key is refused by the plan naming what is allowed, and a plan says
// whether each estimate is calibrated or published.
#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "reel/pipeline/preflight.hpp"
#include "reel/sdk/api.hpp"
#include "wan_test_util.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

// The kind and message of what `fn` throws (a failure when it throws nothing).
std::pair<ErrorKind, std::string> refusal(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return {e.kind(), e.what()};
  }
  ADD_FAILURE() << "expected a refusal";
  return {ErrorKind::Internal, ""};
}

struct WanPreflight : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Session> session;
  void open(wan::WanOptions wan) {
    sdk::SessionOptions o;
    o.store_root = dir / "store";
    o.sign = false;
    o.models.wan = std::move(wan);
    session = std::make_unique<Session>(o);
  }
  // A studio still, then wan2.2-ti2v-5b animating it: a run that would spend on the still
  // before reaching the Wan step.
  static pipeline::Graph still_then_wan() {
    pipeline::Graph g;
    g.name = "still-then-wan";
    g.steps.push_back({"hero",
                       model::Task::text_to_image,
                       "studio-character",
                       {},
                       {{"prompt", "an astronaut"}, {"width", 320}, {"height", 192}},
                       {}});
    g.steps.push_back({"film",
                       model::Task::image_to_video,
                       "wan2.2-ti2v-5b",
                       {{"image", "hero"}},
                       {{"motion", "walks"}, {"duration", 0.5}, {"fps", 8}},
                       {}});
    return g;
  }
};

TEST_F(WanPreflight, AbsentWeightsRefuseTheWholeRunBeforeAnyStep) {
  wan::WanOptions o = testing::fake_options(dir);
  fs::remove(o.models_root / "Wan2.2-TI2V-5B" / "Wan2.2_VAE.pth");
  open(o);
  const pipeline::Graph g = still_then_wan();
  std::vector<std::string> started;
  session->options().on_event = [&](const pipeline::Event& e) {
    if (e.kind == pipeline::EventKind::step_started) started.push_back(e.step);
  };
  for (bool dry_run : {true, false}) {
    auto [kind, msg] = refusal([&] {
      if (dry_run)
        session->plan(g);
      else
        session->run(g);
    });
    EXPECT_EQ(kind, ErrorKind::NotFound) << msg;
    EXPECT_NE(msg.find("step 'film'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("wan2.2-ti2v-5b"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Wan2.2_VAE.pth"), std::string::npos)
        << "the reason names the file: " << msg;
    EXPECT_NE(msg.find("weights:Wan2.2-TI2V-5B"), std::string::npos) << msg;
  }
  EXPECT_TRUE(started.empty()) << "no step may start: " << started.front();
  EXPECT_TRUE(session->store().list().empty()) << "the still was rendered and stored";

  // The typed refusal keeps what an API client may see apart from the local reason.
  try {
    session->plan(g);
  } catch (const pipeline::ModelUnavailable& e) {
    EXPECT_EQ(e.step(), "film");
    EXPECT_EQ(e.needs(), std::vector<std::string>{"weights:Wan2.2-TI2V-5B"});
    EXPECT_EQ(e.public_message().find(o.models_root.string()), std::string::npos);
    EXPECT_NE(e.public_message().find("weights:Wan2.2-TI2V-5B"), std::string::npos);
  }

  // With the weights back the same graph plans (the refusal was the weights, nothing else).
  std::ofstream(o.models_root / "Wan2.2-TI2V-5B" / "Wan2.2_VAE.pth") << "x";
  EXPECT_EQ(session->plan(g).steps.size(), 2u);
}

TEST_F(WanPreflight, AWanSizeIsRefusedByThePlanWithTheNearestAllowedSides) {
  open(testing::fake_options(dir));
  pipeline::Graph g = testing::wan_t2v_graph("size", 1, "a red ball", 1.0, 16);
  g.steps[0].params["width"] = 640;
  g.steps[0].params["height"] = 360;
  auto [kind, msg] = refusal([&] { session->plan(g); });
  EXPECT_EQ(kind, ErrorKind::InvalidInput) << msg;
  EXPECT_NE(msg.find("step 'clip'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("height 360"), std::string::npos) << msg;
  EXPECT_NE(msg.find("352 or 368"), std::string::npos) << msg;
  g.steps[0].params["height"] = 352;
  EXPECT_NO_THROW(session->plan(g));
  // Frames past Wan's 321 are a plan-time refusal too.
  g.steps[0].params["duration"] = 30;
  std::tie(kind, msg) = refusal([&] { session->plan(g); });
  EXPECT_NE(msg.find("at most 321 frames"), std::string::npos) << msg;
}

// What limits are held to when a call gives no size: the model's native size (portrait
// for a portrait image), as the run resolves it.
TEST_F(WanPreflight, OutputSizeIsTheNativeSizeWhenTheCallGivesNone) {
  open(testing::fake_options(dir));
  auto m = session->registry().find("wan2.2-ti2v-5b");
  ASSERT_TRUE(m);
  model::PlannedCall call;
  call.task = model::Task::text_to_video;
  EXPECT_EQ(m->output_size(call).width, 1280);
  EXPECT_EQ(m->output_size(call).height, 704);
  call.task = model::Task::image_to_video;
  call.input_sizes["image"] = {320, 640};
  EXPECT_EQ(m->output_size(call).width, 704);
  EXPECT_EQ(m->output_size(call).height, 1280);
  call.width = 640;
  call.height = 352;
  EXPECT_EQ(m->output_size(call).width, 640);
  EXPECT_EQ(m->output_size(call).height, 352);
}

TEST_F(WanPreflight, UnknownExtraKeysAreRefusedNamingTheModelsOwn) {
  open(testing::fake_options(dir));
  pipeline::Graph wan = testing::wan_t2v_graph("extra", 1, "a red ball", 1.0, 16);
  wan.steps[0].params["extra"]["bogus_key"] = 1;
  auto [kind, msg] = refusal([&] { session->plan(wan); });
  EXPECT_EQ(kind, ErrorKind::InvalidInput) << msg;
  EXPECT_NE(msg.find("step 'clip'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bogus_key"), std::string::npos) << msg;
  EXPECT_NE(msg.find("allowed: steps, shift, guidance, sampler"), std::string::npos) << msg;
  // A known key with a value out of the contract's range is refused up front as well.
  wan.steps[0].params["extra"] = {{"steps", 5000}};
  std::tie(kind, msg) = refusal([&] { session->plan(wan); });
  EXPECT_NE(msg.find("1..1000"), std::string::npos) << msg;

  pipeline::Graph studio = still_then_wan();
  studio.steps[1].model = "studio-animator";
  studio.steps[1].params["bogus"] = 1;  // not even a param of the task
  std::tie(kind, msg) = refusal([&] { session->run(studio); });
  EXPECT_EQ(kind, ErrorKind::InvalidInput) << msg;
  EXPECT_NE(msg.find("unknown param 'bogus'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("allowed: motion, duration, fps, width, height, crf, preset, extra"),
            std::string::npos)
      << msg;
  studio.steps[1].params.erase("bogus");
  studio.steps[1].params["extra"] = {{"bogus_key", 1}};
  std::tie(kind, msg) = refusal([&] { session->run(studio); });
  EXPECT_EQ(kind, ErrorKind::InvalidInput) << msg;
  EXPECT_NE(msg.find("step 'film'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("allowed: ambient_weather"), std::string::npos) << msg;
  EXPECT_TRUE(session->store().list().empty()) << "refused before the still was made";
  studio.steps[1].params["extra"] = {{"ambient_weather", "no"}};
  std::tie(kind, msg) = refusal([&] { session->plan(studio); });
  EXPECT_NE(msg.find("true or false"), std::string::npos) << msg;
  studio.steps[1].params["extra"] = {{"ambient_weather", false}};
  EXPECT_NO_THROW(session->plan(studio));
  studio.steps[0].params["extra"] = {{"bogus_key", 1}};
  std::tie(kind, msg) = refusal([&] { session->plan(studio); });
  EXPECT_NE(msg.find("studio-character: unknown extra key 'bogus_key'; allowed: substitute"),
            std::string::npos)
      << msg;
}

TEST_F(WanPreflight, APlanSaysWhetherEachEstimateIsCalibratedOrPublished) {
  open(testing::fake_options(dir));  // runs on the CPU (the default device)
  pipeline::Graph g = still_then_wan();
  g.steps[1].params["width"] = 64;
  g.steps[1].params["height"] = 64;
  pipeline::RunPlan plan = session->plan(g);
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].estimate_source, "measured");
  EXPECT_EQ(plan.steps[0].estimate_warning, "");
  EXPECT_EQ(plan.steps[1].estimate_source, "published");
  // The published figure is a GPU's; this run goes to the CPU, and the plan says so.
  EXPECT_NE(plan.steps[1].estimate_warning.find("cuda figure"), std::string::npos)
      << plan.steps[1].estimate_warning;
  EXPECT_NE(plan.steps[1].estimate_warning.find("reel calibrate wan2.2-ti2v-5b"),
            std::string::npos);
  const Json j = plan.to_json();
  EXPECT_EQ(j["steps"][1]["estimate_source"], "published");
  EXPECT_TRUE(j["steps"][0]["estimate_warning"].is_null());
  const std::string text = plan.to_text();
  EXPECT_NE(text.find("(published)"), std::string::npos) << text;
  EXPECT_NE(text.find("warning: a cuda figure"), std::string::npos) << text;

  const auto& spec = wan::wan_spec("wan2.2-ti2v-5b");
  model::RunContext ctx;
  wan::calibrate(spec, session->options().models.wan,
                 {.width = 64, .height = 64, .frames = 5, .steps = 2}, ctx);
  plan = session->plan(g);
  EXPECT_EQ(plan.steps[1].estimate_source, "calibrated");
  EXPECT_EQ(plan.steps[1].estimate_warning, "") << "calibrated on the device it runs on";
}

}  // namespace
}  // namespace reel
