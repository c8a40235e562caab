// The Wan models as registry entries: cards, weights discovery, the missing-weights
// error, the cache identity of the weights, request mapping and the licence policy.
#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "reel/sdk/api.hpp"
#include "wan_test_util.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

std::string message_of(const std::function<void()>& fn, ErrorKind kind) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

model::TextToVideoRequest small_t2v() {
  model::TextToVideoRequest r;
  r.prompt = "a red ball";
  r.width = 64;
  r.height = 32;
  r.duration_seconds = 5 / 16.0;
  r.fps = 16;
  return r;
}

TEST(WanRegistry, SessionListsTheThreeModelsWithTheirCards) {
  TempDir dir;
  sdk::SessionOptions o;
  o.store_root = dir / "store";
  o.models.wan = wan::WanOptions{};  // no weights anywhere: still listed
  Session session(o);
  struct Want {
    const char* id;
    std::vector<model::Task> tasks;
  };
  using model::Task;
  for (const Want& w :
       {Want{"wan2.1-t2v-1.3b", {Task::text_to_video, Task::text_to_image}},
        Want{"wan2.1-t2v-14b", {Task::text_to_video, Task::text_to_image}},
        Want{"wan2.2-ti2v-5b", {Task::text_to_video, Task::image_to_video, Task::text_to_image}}}) {
    auto m = session.registry().find(w.id);
    ASSERT_TRUE(m) << w.id;
    const model::ModelCard& c = m->card();
    EXPECT_EQ(c.tasks, w.tasks) << w.id;
    EXPECT_EQ(c.licence, "Apache-2.0");
    EXPECT_EQ(c.publisher, "Wan-AI (Alibaba)");
    EXPECT_EQ(c.training_data, model::TrainingData::undisclosed);
    EXPECT_EQ(c.training_data_note, "not disclosed by the publisher");
    EXPECT_EQ(c.devices, (std::vector<std::string>{"cpu", "cuda"}));
    EXPECT_GT(c.cost.seconds_per_megapixel, 0.0);
    EXPECT_FALSE(c.availability.available);
    EXPECT_NE(c.availability.reason.find("weights: not found"), std::string::npos)
        << c.availability.reason;
    // What is missing, in words safe to show API clients: no paths.
    EXPECT_EQ(c.availability.needs.size(), 1u);
    EXPECT_EQ(c.availability.needs.at(0).rfind("weights:Wan", 0), 0u);
    EXPECT_EQ(c.to_json()["availability"]["available"], false);
    EXPECT_EQ(c.to_json()["availability"]["reason"], c.availability.reason);
    EXPECT_FALSE(c.availability.to_json(false).contains("reason"));
  }
  // The studio models still come first, so picking an image_to_video model stays offline.
  EXPECT_EQ(session.registry().pick(model::Task::image_to_video)->card().id, "studio-animator");
}

TEST(WanRegistry, DefaultsFollowThePublisher) {
  const auto& s13 = wan::wan_spec("wan2.1-t2v-1.3b").defaults;
  EXPECT_EQ(s13.width, 832);
  EXPECT_EQ(s13.height, 480);
  EXPECT_EQ(s13.frames, 81);
  EXPECT_EQ(s13.fps, 16);
  EXPECT_EQ(s13.steps, 50);
  EXPECT_EQ(s13.shift, 5.0);
  EXPECT_EQ(s13.guidance, 5.0);
  const auto& s5 = wan::wan_spec("wan2.2-ti2v-5b").defaults;
  EXPECT_EQ(s5.width, 1280);
  EXPECT_EQ(s5.height, 704);
  EXPECT_EQ(s5.frames, 121);
  EXPECT_EQ(s5.fps, 24);
  EXPECT_EQ(wan::wan_spec("wan2.1-t2v-14b").defaults.width, 1280);
  EXPECT_THROW(wan::wan_spec("wan9"), Error);
}

TEST(WanRegistry, MissingWeightsNameTheExactFileBeforeAnythingRuns) {
  TempDir dir;
  wan::WanOptions o = testing::fake_options(dir);
  // A child that would leave a trace if it ran.
  o.neural_bin = dir / "no-such-reel-neural";
  const auto& spec = wan::wan_spec("wan2.1-t2v-1.3b");
  const fs::path vae = o.models_root / spec.folder_name / "Wan2.1_VAE.pth";
  fs::remove(vae);
  auto m = wan::make_wan_model(spec, o);
  model::RunContext ctx;
  auto& t2v = model::as_task<model::TextToVideo>(*m, model::Task::text_to_video);
  std::string msg = message_of([&] { t2v.generate_video(small_t2v(), ctx); }, ErrorKind::NotFound);
  EXPECT_NE(msg.find(vae.string()), std::string::npos) << msg;
  EXPECT_EQ(msg.find("reel-neural"), std::string::npos) << "weights are checked first: " << msg;
  EXPECT_NE(m->card().availability.reason.find(vae.string()), std::string::npos);

  // The tokenizer inside google/umt5-xxl/ is named by its full path too.
  std::ofstream(vae) << "x";
  const fs::path spm = o.models_root / spec.folder_name / "google/umt5-xxl/spiece.model";
  fs::remove(spm);
  msg = message_of([&] { t2v.generate_video(small_t2v(), ctx); }, ErrorKind::NotFound);
  EXPECT_NE(msg.find(spm.string()), std::string::npos) << msg;

  // No folder configured at all: the message says how to configure one.
  wan::WanOptions none;
  auto bare = wan::make_wan_model(spec, none);
  msg = message_of(
      [&] {
        model::as_task<model::TextToVideo>(*bare, model::Task::text_to_video)
            .generate_video(small_t2v(), ctx);
      },
      ErrorKind::NotFound);
  EXPECT_NE(msg.find("REEL_MODELS"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Wan2.1-T2V-1.3B"), std::string::npos) << msg;
}

TEST(WanRegistry, AFolderOfTheWrongKindIsRefusedByName) {
  TempDir dir;
  wan::WanOptions o = testing::fake_options(dir);
  // The 5B model pointed at a Wan2.1 folder.
  o.folders["wan2.2-ti2v-5b"] = o.models_root / "Wan2.1-T2V-1.3B";
  std::ofstream(o.models_root / "Wan2.1-T2V-1.3B" / "Wan2.2_VAE.pth") << "x";
  auto m = wan::make_wan_model(wan::wan_spec("wan2.2-ti2v-5b"), o);
  model::RunContext ctx;
  auto r = small_t2v();
  std::string msg = message_of(
      [&] {
        model::as_task<model::TextToVideo>(*m, model::Task::text_to_video).generate_video(r, ctx);
      },
      ErrorKind::InvalidInput);
  EXPECT_NE(msg.find("model_type \"t2v\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs a \"ti2v\""), std::string::npos) << msg;
  EXPECT_NE(m->card().availability.reason.find("unusable"), std::string::npos)
      << m->card().availability.reason;
}

TEST(WanRegistry, WeightsArgumentsPickFolders) {
  wan::WanOptions o;
  o.add_weights_arg("/models");
  EXPECT_EQ(*wan::checkpoint_folder(wan::wan_spec("wan2.2-ti2v-5b"), o),
            fs::path("/models/Wan2.2-TI2V-5B"));
  o.add_weights_arg("wan2.2-ti2v-5b=/elsewhere/5b");
  EXPECT_EQ(*wan::checkpoint_folder(wan::wan_spec("wan2.2-ti2v-5b"), o), fs::path("/elsewhere/5b"));
  EXPECT_THROW(o.add_weights_arg("wan3=/x"), Error);
  EXPECT_THROW(o.add_weights_arg(""), Error);
}

TEST(WanRegistry, SwappingWeightsChangesTheCardVersionAndSoTheCacheKey) {
  TempDir dir;
  wan::WanOptions o = testing::fake_options(dir);
  const auto& spec = wan::wan_spec("wan2.1-t2v-1.3b");
  auto m = wan::make_wan_model(spec, o);
  const std::string v1 = m->card().version;
  EXPECT_EQ(m->card().version, v1);  // stable while nothing changes
  std::ofstream(o.models_root / spec.folder_name / "diffusion_pytorch_model.safetensors")
      << "other weights, other size";
  // card() reads no files: the change shows once the model is refreshed, which the
  // executor does at the start of every run.
  EXPECT_EQ(m->card().version, v1);
  m->refresh();
  const std::string v2 = m->card().version;
  EXPECT_NE(v1, v2);
  std::ofstream(o.models_root / spec.folder_name / "config.json")
      << "{\"model_type\": \"t2v\", \"dim\": 2}";
  m->refresh();
  EXPECT_NE(m->card().version, v2);
}

TEST(WanRegistry, RequestsMapToTheModelsConstraints) {
  TempDir dir;
  wan::WanOptions o = testing::fake_options(dir);
  auto m = wan::make_wan_model(wan::wan_spec("wan2.2-ti2v-5b"), o);
  auto& t2v = model::as_task<model::TextToVideo>(*m, model::Task::text_to_video);
  model::RunContext ctx;
  auto r = small_t2v();
  r.width = 48;  // Wan2.2: multiples of 32
  std::string msg = message_of([&] { t2v.generate_video(r, ctx); }, ErrorKind::InvalidInput);
  EXPECT_NE(msg.find("multiple of 32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("32 or 64"), std::string::npos) << msg;
  r = small_t2v();
  r.params = {{"cfg", 3}};
  msg = message_of([&] { t2v.generate_video(r, ctx); }, ErrorKind::InvalidInput);
  EXPECT_NE(msg.find("allowed: steps, shift, guidance, sampler"), std::string::npos) << msg;
  r = small_t2v();
  r.params = {{"sampler", "ddim"}};
  EXPECT_THROW(t2v.generate_video(r, ctx), Error);
  r = small_t2v();
  r.duration_seconds = 60;
  msg = message_of([&] { t2v.generate_video(r, ctx); }, ErrorKind::InvalidInput);
  EXPECT_NE(msg.find("at most 321 frames"), std::string::npos) << msg;
  // 1.3B only does text: image_to_video is refused by name.
  auto t2v_only = wan::make_wan_model(wan::wan_spec("wan2.1-t2v-1.3b"), o);
  EXPECT_FALSE(t2v_only->card().supports(model::Task::image_to_video));
}

TEST(WanRegistry, CommercialSafePolicyRefusesWanBecauseTrainingDataIsUndisclosed) {
  TempDir dir;
  sdk::SessionOptions o;
  o.store_root = dir / "store";
  o.sign = false;
  o.policy = "commercial-safe";
  o.models.wan = testing::fake_options(dir);
  const fs::path trace = dir / "child-ran";
  testing::ScopedEnv pidfile("FAKE_WAN_PIDFILE", trace.string());
  Session session(o);
  pipeline::Graph g;
  g.steps.push_back({"clip",
                     model::Task::text_to_video,
                     "wan2.1-t2v-1.3b",
                     {},
                     {{"prompt", "a red ball"}, {"width", 64}, {"height", 32}},
                     {}});
  std::string msg = message_of([&] { session.run(g); }, ErrorKind::Policy);
  EXPECT_NE(msg.find("wan2.1-t2v-1.3b"), std::string::npos) << msg;
  EXPECT_NE(msg.find("undisclosed"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(trace)) << "the child must not start";
  // Without the policy the same graph runs (through the test double).
  o.policy.clear();
  Session open(o);
  EXPECT_EQ(open.run(g).executed, 1);
  EXPECT_TRUE(fs::exists(trace));
}

}  // namespace
}  // namespace reel
