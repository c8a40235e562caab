// End to end through the real `reel-neural generate` on tiny seeded checkpoint folders
// written by tests/reference/make_wan_folder.py: the SDK's text→video and
// animate_from_image with wan2.2-ti2v-5b. Skipped when reel-neural is not built.
#include <gtest/gtest.h>

#include <cstring>

#include "reel/core/error.hpp"
#include "reel/media/ops.hpp"
#include "reel/neural/safetensors.hpp"
#include "reel/sdk/api.hpp"
#include "reel/studio/animator.hpp"
#include "wan_test_util.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;

const fs::path kNeural = REEL_BINARY_DIR "/bin/reel-neural";

struct WanRealE2E : ::testing::Test {
  testing::TempDir dir;
  sdk::SessionOptions options;

  void SetUp() override {
    if (!fs::exists(kNeural)) GTEST_SKIP() << "reel-neural not built";
    for (auto [kind, name] : {std::pair{"t2v", "Wan2.1-T2V-1.3B"}, {"ti2v", "Wan2.2-TI2V-5B"}}) {
      auto r = testing::run_command(
          "/usr/bin/python3 " REEL_SOURCE_DIR "/tests/reference/make_wan_folder.py --kind " +
              std::string(kind) + " --out " + (dir / "models" / name).string() + " --seed 1",
          true);
      ASSERT_EQ(r.status, 0) << r.output;
    }
    options.store_root = dir / "store";
    options.sign = false;
    options.models.wan = wan::WanOptions{};
    options.models.wan.models_root = dir / "models";
    options.models.wan.neural_bin = kNeural;
    options.models.wan.calibration_dir = dir / "calibration";
  }

  // reel-neural vae-encode then vae-decode of one frame with the TI2V folder's VAE.
  media::Image vae_round_trip(const media::Image& rgba) {
    const int w = rgba.width(), h = rgba.height();
    std::vector<float> video(3 * std::size_t(w) * h);  // [3, 1, H, W] in [-1, 1]
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          video[(std::size_t(c) * h + y) * w + x] = rgba.u8_pixel(x, y)[c] / 127.5f - 1.0f;
    std::vector<std::uint8_t> bytes(video.size() * 4);
    std::memcpy(bytes.data(), video.data(), bytes.size());
    const fs::path in = dir / "rt_in.safetensors", lat = dir / "rt_lat.safetensors",
                   out = dir / "rt_out.safetensors", folder = dir / "models" / "Wan2.2-TI2V-5B";
    neural::write_safetensors(in, {{"video", neural::DType::f32, {3, 1, h, w}, bytes}});
    const std::string common = " --vae-config " + (folder / "vae_config.json").string() +
                               " --weights " + (folder / "Wan2.2_VAE.pth").string();
    for (auto [tool, from, to] : {std::tuple{"vae-encode", in, lat}, {"vae-decode", lat, out}}) {
      auto r = testing::run_command(kNeural.string() + " " + tool + common + " --inputs " +
                                        from.string() + " --out " + to.string(),
                                    true);
      EXPECT_EQ(r.status, 0) << r.output;
    }
    auto file = neural::SafetensorsFile::open(out);
    std::vector<float> px = file.to_f32(*file.find("video"));
    media::Image img(w, h);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        std::uint8_t* p = img.u8_pixel(x, y);
        for (int c = 0; c < 3; ++c) {
          const float v = std::clamp(px[(std::size_t(c) * h + y) * w + x], -1.0f, 1.0f);
          p[c] = static_cast<std::uint8_t>(std::lround((v + 1.0f) * 127.5f));
        }
        p[3] = 255;
      }
    return img;
  }

  static pipeline::Graph t2v(std::uint64_t seed) {
    return testing::wan_t2v_graph("wan-real", seed, "A cat walks on the grass, realistic style.",
                                  0.5, 10);
  }
};

TEST_F(WanRealE2E, TextToVideoIsDeterministicPerSeedAndCosted) {
  Session session(options);
  pipeline::RunResult r = session.run(t2v(11));
  sdk::RunOutput out = sdk::output_of(r, t2v(11), session);
  ASSERT_TRUE(out.video);
  const media::Video& v = out.video->frames();
  EXPECT_EQ(v.frames.size(), 5u);  // 0.5 s x 10 fps → 1 + 4k
  EXPECT_EQ(v.width(), 64);
  EXPECT_EQ(v.height(), 32);
  ASSERT_EQ(r.cost.steps.size(), 1u);
  EXPECT_EQ(r.cost.steps[0].model, "wan2.1-t2v-1.3b");
  EXPECT_GT(r.cost.steps[0].seconds.value, 0.0);
  EXPECT_GT(r.cost.steps[0].usd.value, 0.0);
  EXPECT_EQ(r.cost.to_json()["steps"][0]["model"], "wan2.1-t2v-1.3b");

  // A fresh store: the same seed recomputes the same frames; another seed differs.
  options.store_root = dir / "store2";
  Session fresh(options);
  pipeline::RunResult again = fresh.run(t2v(11));
  EXPECT_EQ(again.executed, 1);
  EXPECT_TRUE(sdk::output_of(again, t2v(11), fresh).video->frames().frames == v.frames);
  pipeline::RunResult other = fresh.run(t2v(12));
  EXPECT_FALSE(sdk::output_of(other, t2v(12), fresh).video->frames().frames == v.frames);
}

TEST_F(WanRealE2E, TextToImageIsOneFrame) {
  Session session(options);
  StillImage a = character_api::generate({.prompt = "A red fox runs through the snowy forest.",
                                          .width = 64,
                                          .height = 48,
                                          .seed = 3,
                                          .model = "wan2.1-t2v-1.3b"},
                                         session);
  EXPECT_EQ(a.image().width(), 64);
  EXPECT_EQ(a.image().height(), 48);
  EXPECT_TRUE(a.image().is_opaque());
}

TEST_F(WanRealE2E, AnimateFromImageWithTi2v) {
  Session session(options);
  StillImage c = character_api::generate(
      {.prompt = "female astronaut", .width = 128, .height = 64, .seed = 1}, session);
  StillImage b = environment_api::generate(
      {.prompt = "surface of Mars", .width = 128, .height = 64, .seed = 1}, session);
  VideoClip clip = animator_api::animate_from_image({.base_image = c,
                                                     .background = b,
                                                     .motion = "subtle head turn",
                                                     .duration = 5 / 24.0,
                                                     .fps = 24,
                                                     .width = 64,
                                                     .height = 64,
                                                     .seed = 5,
                                                     .model = "wan2.2-ti2v-5b"},
                                                    session);
  const media::Video& v = clip.frames();
  ASSERT_EQ(v.frames.size(), 5u);
  EXPECT_EQ(v.width(), 64);
  EXPECT_EQ(v.height(), 64);
  EXPECT_EQ(clip.cost().steps.back().model, "wan2.2-ti2v-5b");

  auto animator = studio::make_animator_model();
  model::ImageToVideoRequest still;
  still.image = *c.artifact().image;
  still.background = *b.artifact().image;
  still.fps = 25;
  still.duration_seconds = 0.04;
  still.width = 64;
  still.height = 64;
  still.params = {{"ambient_weather", false}};
  model::RunContext ctx;
  media::Image composite =
      model::as_task<model::ImageToVideo>(*animator, model::Task::image_to_video)
          .animate(still, ctx)
          .video.frames.at(0)
          .to_u8();
  // A tiny random VAE does not reproduce its input (~13 dB against the still itself), so
  // the first frame is compared with what that VAE makes of the composite on its own:
  // TI2V keeps latent frame 0 equal to the image's latent, and the causal decoder's
  // first frame depends on latent frame 0 only.
  const double raw_db = media::psnr(v.frames[0], composite);
  const media::Image round_trip = vae_round_trip(composite);
  const double db = media::psnr(v.frames[0], round_trip);
  std::printf(
      "tiny random TI2V first frame: %.1f dB vs the VAE round trip of the composited "
      "still, %.1f dB vs the still itself\n",
      db, raw_db);
  EXPECT_GT(db, 40.0);
  // Perturbed: the round trip of another still (the background alone) is far off.
  model::ImageToVideoRequest other = still;
  other.image = *b.artifact().image;
  other.background.reset();
  media::Image bg_only = model::as_task<model::ImageToVideo>(*animator, model::Task::image_to_video)
                             .animate(other, ctx)
                             .video.frames.at(0)
                             .to_u8();
  EXPECT_LT(media::psnr(v.frames[0], vae_round_trip(bg_only)), db - 10);
}

}  // namespace
}  // namespace reel
