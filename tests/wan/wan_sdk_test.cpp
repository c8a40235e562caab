// The Wan models through the SDK and the pipeline (cache, ledger, planner), with the
// test double as the child: text→video, animate_from_image with wan2.2-ti2v-5b, and
// calibration feeding the planner.
#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "reel/media/ops.hpp"
#include "reel/sdk/api.hpp"
#include "reel/studio/animator.hpp"
#include "wan_test_util.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

struct WanSdk : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Session> session;
  void SetUp() override {
    sdk::SessionOptions o;
    o.store_root = dir / "store";
    o.sign = false;
    o.models.wan = testing::fake_options(dir);
    session = std::make_unique<Session>(o);
  }
  pipeline::Graph t2v_graph(std::uint64_t seed) {
    return testing::wan_t2v_graph("wan", seed, "a red ball", 1.0, 16);
  }
};

TEST_F(WanSdk, TextToVideoRunsCachesAndCosts) {
  pipeline::RunResult r = session->run(t2v_graph(3));
  sdk::RunOutput out = sdk::output_of(r, t2v_graph(3), *session);
  ASSERT_TRUE(out.video);
  const media::Video& v = out.video->frames();
  EXPECT_EQ(v.frames.size(), 17u);  // 16 asked → 1 + 4k
  EXPECT_EQ(v.width(), 64);
  EXPECT_EQ(v.height(), 32);
  ASSERT_EQ(r.cost.steps.size(), 1u);
  const pipeline::StepCost& s = r.cost.steps[0];
  EXPECT_EQ(s.model, "wan2.1-t2v-1.3b");
  EXPECT_EQ(s.device, "cpu");
  EXPECT_GT(s.seconds.value, 0.0);
  EXPECT_GT(s.usd.value, 0.0);
  EXPECT_FALSE(s.cached);
  Json cost = r.cost.to_json();
  EXPECT_TRUE(cost.contains("steps")) << cost.dump();

  // Same seed: a cache hit at $0; another seed: a new run with other frames.
  pipeline::RunResult again = session->run(t2v_graph(3));
  EXPECT_EQ(again.cached, 1);
  EXPECT_TRUE(again.cost.steps[0].cached);
  pipeline::RunResult other = session->run(t2v_graph(4));
  EXPECT_EQ(other.executed, 1);
  sdk::RunOutput out2 = sdk::output_of(other, t2v_graph(4), *session);
  EXPECT_LT(media::psnr(v.frames[0], out2.video->frames().frames[0]), 30.0);

  // Swapping the weights changes the card version, so the same request runs again.
  std::ofstream(session->options().models.wan.models_root / "Wan2.1-T2V-1.3B" / "config.json")
      << "{\"model_type\": \"t2v\", \"dim\": 12}";
  EXPECT_EQ(session->run(t2v_graph(3)).executed, 1);
}

TEST_F(WanSdk, AnimateFromImageStartsFromTheCompositedStill) {
  StillImage c = character_api::generate(
      {.prompt = "female astronaut", .width = 160, .height = 96, .seed = 1}, *session);
  StillImage b = environment_api::generate(
      {.prompt = "surface of Mars", .width = 160, .height = 96, .seed = 1}, *session);
  VideoClip clip = animator_api::animate_from_image({.base_image = c,
                                                     .background = b,
                                                     .motion = "subtle head turn",
                                                     .duration = 5 / 24.0,
                                                     .fps = 24,
                                                     .width = 128,
                                                     .height = 96,
                                                     .seed = 5,
                                                     .model = "wan2.2-ti2v-5b"},
                                                    *session);
  const media::Video& v = clip.frames();
  ASSERT_EQ(v.frames.size(), 5u);
  EXPECT_EQ(v.width(), 128);
  EXPECT_EQ(v.height(), 96);
  // The composite studio-animator makes of the same stills at 128x96, frame 0.
  auto animator = studio::make_animator_model();
  model::ImageToVideoRequest still;
  // The stills with their rig, depth and light, as the pipeline hands them over.
  still.image = *c.artifact().image;
  still.background = *b.artifact().image;
  still.fps = 25;
  still.duration_seconds = 0.04;
  still.width = 128;
  still.height = 96;
  still.params = {{"ambient_weather", false}};
  model::RunContext ctx;
  media::Image expected =
      model::as_task<model::ImageToVideo>(*animator, model::Task::image_to_video)
          .animate(still, ctx)
          .video.frames.at(0)
          .to_u8();
  // The test double returns the image it was given as frame 0, so the clip's first frame
  // is the composite exactly (inf dB; the clip keeps the run's frames, not the MP4's
  // decode). 30 dB leaves room for a future lossy hand-over; a wrong composite (e.g. the
  // stills without their rig and light) measures ~21 dB and fails.
  auto wan = session->registry().get("wan2.2-ti2v-5b");
  model::ImageToVideoRequest direct = still;
  direct.fps = 24;
  direct.duration_seconds = 5 / 24.0;
  direct.motion = "subtle head turn";  // Wan needs a prompt (the request contract refuses "")
  direct.params = Json::object();
  media::Image first = model::as_task<model::ImageToVideo>(*wan, model::Task::image_to_video)
                           .animate(direct, ctx)
                           .video.frames.at(0);
  EXPECT_TRUE(first == expected) << media::psnr(first, expected) << " dB";
  const double db = media::psnr(v.frames[0], expected);

  EXPECT_GT(db, 30.0) << "first frame vs composited still: " << db << " dB";
  std::printf("first frame vs the composited still: %.1f dB\n", db);
  EXPECT_LT(media::psnr(v.frames[1], expected), db);
  EXPECT_EQ(clip.cost().steps.back().model, "wan2.2-ti2v-5b");

  // wan2.1 models do not animate stills: a clear error naming the alternatives.
  try {
    animator_api::animate_from_image(
        {.base_image = c, .background = b, .width = 128, .height = 96, .model = "wan2.1-t2v-1.3b"},
        *session);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("image_to_video"), std::string::npos) << e.what();
  }
}

TEST_F(WanSdk, CalibrationFeedsThePlanner) {
  const auto& spec = wan::wan_spec("wan2.1-t2v-1.3b");
  const wan::WanOptions& o = session->options().models.wan;
  const double published = session->registry().get(spec.id)->card().cost.seconds_per_megapixel;
  model::RunContext ctx;
  wan::Calibration c =
      wan::calibrate(spec, o, {.width = 64, .height = 32, .frames = 5, .steps = 2}, ctx);
  // The test double reports t5 0.5, dit 0.25/step, vae 1.0, total 3 + 0.25 x steps.
  EXPECT_EQ(c.frames, 5);
  EXPECT_DOUBLE_EQ(c.dit_seconds, 0.5);
  // The test double reports 3.5 s total, far more than its real wall time.
  EXPECT_DOUBLE_EQ(c.total_seconds, 3.5);
  EXPECT_DOUBLE_EQ(c.profile.setup_seconds, 3.5 - 0.5 - 1.0);
  const double mpf = 64 * 32 / 1e6 * 5;
  EXPECT_NEAR(c.profile.seconds_per_megapixel, 0.25 / mpf * 50 + 1.0 / mpf, 1e-6);
  EXPECT_EQ(c.profile.device, "cpu");
  ASSERT_TRUE(fs::exists(wan::calibration_file(o, spec.id)));
  auto loaded = wan::load_calibration(o, spec.id);
  ASSERT_TRUE(loaded);
  EXPECT_DOUBLE_EQ(loaded->profile.seconds_per_megapixel, c.profile.seconds_per_megapixel);

  // The card, and so the planner, use the measured profile once the model is refreshed
  // (every run and plan does that first; card() itself never reads files).
  session->registry().refresh();
  const model::ModelCard& card = session->registry().get(spec.id)->card();
  EXPECT_NE(card.cost.seconds_per_megapixel, published);
  EXPECT_DOUBLE_EQ(card.cost.seconds_per_megapixel, c.profile.seconds_per_megapixel);
  // The graph asks 1 s at 16 fps (17 frames once rounded to 1 + 4k) and 2 steps; the
  // calibration measured 0.25 s per step and 1.0 s of VAE on 5 frames. The DiT scales
  // by FLOPs (5 latent frames against 2), the VAE by megapixel-frames.
  pipeline::RunPlan plan = session->plan(t2v_graph(1));
  const double run_mpf = 64 * 32 / 1e6 * 17;
  const double flops_ratio = wan::dit_flops_per_step(spec, {64, 32, 17, 2, true}) /
                             wan::dit_flops_per_step(spec, {64, 32, 5, 2, true});
  // 2.5x the tokens, but at 16 vs 40 tokens the text's k/v projections (a constant)
  // weigh most; the quadratic term shows at real sizes (WanCost below).
  EXPECT_GT(flops_ratio, 1.2);
  EXPECT_NEAR(plan.seconds, c.profile.setup_seconds + 0.25 * 2 * flops_ratio + 1.0 / mpf * run_mpf,
              1e-6);
  // The calibration's own run is estimated at what it measured.
  EXPECT_NEAR(wan::estimate_seconds(spec, c, {64, 32, 5, 2, true}), c.total_seconds, 1e-9);
}

// DiT FLOPs per step, by hand for Wan2.1-1.3B at its default 832x480x81: 21 latent
// frames x 30 x 52 patches = 32,760 tokens; dim 1536, FFN 8960, 30 blocks, 512 text
// tokens; per block 8Ld^2 (q,k,v,o) + 4L^2d (attention) + 4Ld^2 (cross q,o) + 4Cd^2
// (cross k,v) + 4LCd (cross attention) + 4Ldf (FFN); x2 passes when guided.
TEST(WanCost, DitFlopsCountAttentionQuadratically) {
  const auto& spec = wan::wan_spec("wan2.1-t2v-1.3b");
  const double L = 32760, d = 1536, f = 8960, C = 512;
  const double block =
      8 * L * d * d + 4 * L * L * d + 4 * L * d * d + 4 * C * d * d + 4 * L * C * d + 4 * L * d * f;
  EXPECT_DOUBLE_EQ(wan::dit_flops_per_step(spec, {832, 480, 81, 50, true}), block * 30 * 2);
  EXPECT_DOUBLE_EQ(wan::dit_flops_per_step(spec, {832, 480, 81, 50, false}), block * 30);
  // Half the side is a quarter of the tokens but far less than a quarter of the work.
  EXPECT_GT(wan::dit_flops_per_step(spec, {832, 480, 81, 50, true}) /
                wan::dit_flops_per_step(spec, {416, 240, 81, 50, true}),
            8.0);
  // Wan2.2's VAE compresses 16x16 and its patch is 2: 1280x704 is 40 x 22 tokens a frame.
  const auto& ti2v = wan::wan_spec("wan2.2-ti2v-5b");
  const double l5 = 31 * 22 * 40, d5 = 3072, f5 = 14336;
  const double block5 = 8 * l5 * d5 * d5 + 4 * l5 * l5 * d5 + 4 * l5 * d5 * d5 + 4 * C * d5 * d5 +
                        4 * l5 * C * d5 + 4 * l5 * d5 * f5;
  EXPECT_DOUBLE_EQ(wan::dit_flops_per_step(ti2v, {1280, 704, 121, 50, true}), block5 * 30 * 2);
}

// Estimates follow what will run: sampling steps and guidance from the step's params,
// and the model's own default size and frame count when the step does not ask.
TEST_F(WanSdk, PlannerFollowsStepsGuidanceAndTheModelsDefaults) {
  const auto& spec = wan::wan_spec("wan2.1-t2v-1.3b");
  ASSERT_FALSE(wan::load_calibration(session->options().models.wan, spec.id));
  auto with_extra = [&](Json extra, bool sized = true) {
    pipeline::Graph g = t2v_graph(1);
    g.steps[0].params["extra"] = std::move(extra);
    if (!sized) {
      g.steps[0].params.erase("width");
      g.steps[0].params.erase("height");
      g.steps[0].params["duration"] = 81 / 16.0;
    }
    return session->plan(g).seconds;
  };
  const double fifty = with_extra({{"steps", 50}});
  EXPECT_GT(fifty, 0.0);
  EXPECT_NEAR(with_extra({{"steps", 5}}), fifty / 10, 1e-9);
  EXPECT_NEAR(with_extra({{"steps", 50}, {"guidance", 1.0}}), fifty / 2, 1e-9);
  // Nothing asked: 832x480, 81 frames, 50 steps, guided: the publisher's own run, so the
  // estimate is its published 261.4 s (the planner alone would count 1280x720).
  EXPECT_NEAR(with_extra(Json::object(), false), 261.4, 1e-6);
  // A param the model refuses is refused by the plan already (the pre-flight check), in
  // the words the run would use.
  try {
    with_extra({{"steps", "many"}});
    ADD_FAILURE() << "a plan with steps: \"many\" was made";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("'steps' must be an integer in 1..1000"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace reel
