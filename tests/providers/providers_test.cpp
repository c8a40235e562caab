// Hosted providers against their protocol test doubles (tests/providers/doubles/): each
// case runs for every adapter, through the real executor and artifact store.
#include "reel/providers/providers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "double_process.hpp"
#include "reel/core/error.hpp"
#include "reel/pipeline/executor.hpp"
#include "reel/sdk/session.hpp"
#include "reel/studio/studio.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kKey = "sk-test-Secret-0f1e2d3c4b5a";

struct Case {
  const char* provider;
  const char* key_var;
  const char* image_model;  // text_to_image
  const char* video_model;  // image_to_video
  const char* submit_path;  // of the image model
  const char* auth;         // the exact Authorization header
};

const Case kCases[] = {
    {"fal", "FAL_KEY", "fal:fal-ai/flux/dev", "fal:fal-ai/kling-video/v2.1/standard/image-to-video",
     "/fal-ai/flux/dev", "Key "},
    {"replicate", "REPLICATE_API_TOKEN", "replicate:black-forest-labs/flux-dev",
     "replicate:wan-video/wan-2.2-i2v-fast", "/v1/models/black-forest-labs/flux-dev/predictions",
     "Bearer "},
};

class Providers : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    double_ = std::make_unique<testing::DoubleProcess>(GetParam().provider, kKey);
    options_.keys[GetParam().key_var] = kKey;
    options_.base_urls[GetParam().provider] = double_->base_url();
    options_.poll_interval = 20ms;
    registry_ = std::make_unique<model::Registry>();
    providers::register_models(*registry_, options_);
    store_ = std::make_unique<pipeline::ArtifactStore>(dir_ / "store");
  }

  pipeline::Executor executor() { return pipeline::Executor(*registry_, *store_); }

  pipeline::Graph still(const std::string& prompt = "a red cup on a table") {
    pipeline::Graph g;
    g.name = "hosted";
    g.seed = 7;
    g.steps.push_back({"still",
                       model::Task::text_to_image,
                       GetParam().image_model,
                       {},
                       {{"prompt", prompt}, {"width", 64}, {"height", 48}},
                       {}});
    g.output = "still";
    return g;
  }

  pipeline::Graph clip(double duration = 5) {
    pipeline::Graph g;
    g.name = "hosted-clip";
    g.seed = 7;
    g.steps.push_back({"char",
                       model::Task::text_to_image,
                       "studio-character",
                       {},
                       {{"prompt", "robot"}, {"width", 64}, {"height", 48}},
                       {}});
    g.steps.push_back({"film",
                       model::Task::image_to_video,
                       GetParam().video_model,
                       {{"image", "char"}},
                       {{"motion", "slow pan"}, {"duration", duration}, {"fps", 8}},
                       {}});
    g.output = "film";
    return g;
  }

  void rebuild() {  // after changing options_
    registry_ = std::make_unique<model::Registry>();
    providers::register_models(*registry_, options_);
  }

  std::string message_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::DoubleProcess> double_;
  providers::ProviderOptions options_;
  std::unique_ptr<model::Registry> registry_;
  std::unique_ptr<pipeline::ArtifactStore> store_;
};

TEST_P(Providers, SuccessSendsTheMappedFieldsWithTheProvidersAuthAndStoresTheImage) {
  auto ex = executor();
  pipeline::RunResult r = ex.run(still());
  ASSERT_TRUE(r.output.image);
  EXPECT_EQ(r.output.image->image.width(), 64);
  EXPECT_EQ(r.output.image->image.height(), 48);
  const Json st = double_->state();
  EXPECT_EQ(st["counts"]["submit"], 1);
  EXPECT_EQ(st["counts"]["download"], 1);
  const Json& submit = st["requests"][0];
  EXPECT_EQ(submit["method"], "POST");
  EXPECT_EQ(submit["path"], GetParam().submit_path);
  EXPECT_EQ(submit["headers"]["Authorization"], std::string(GetParam().auth) + kKey);
  EXPECT_EQ(submit["headers"]["Content-Type"], "application/json");
  Json body = Json::parse(submit["body"].get<std::string>());
  if (body.contains("input")) body = body["input"];  // Replicate wraps the model's input
  EXPECT_EQ(body["prompt"], "a red cup on a table");
  EXPECT_EQ(body["seed"], 7);
  // Every request after the submission carries the same auth.
  for (const auto& req : st["requests"])
    EXPECT_EQ(req["headers"]["Authorization"], std::string(GetParam().auth) + kKey);
  EXPECT_EQ(r.cost.steps.at(0).device, "provider");
}

TEST_P(Providers, ASecondIdenticalRunMakesNoRequestAtAll) {
  auto ex = executor();
  ex.run(still());
  const std::size_t before = double_->state()["requests"].size();
  pipeline::RunResult again = ex.run(still());
  EXPECT_EQ(again.cached, 1);
  EXPECT_EQ(double_->state()["requests"].size(), before);
  EXPECT_EQ(double_->count("download"), 1);
}

TEST_P(Providers, AFailedTaskGivesOneErrorWithTheProvidersMessage) {
  double_->configure({{"fail_message", "prompt was flagged by the safety checker"}});
  auto ex = executor();
  const std::string msg = message_of([&] { ex.run(still()); });
  EXPECT_NE(msg.find("prompt was flagged by the safety checker"), std::string::npos) << msg;
  EXPECT_NE(msg.find(GetParam().provider), std::string::npos) << msg;
  EXPECT_EQ(double_->count("submit"), 1);
}

TEST_P(Providers, TooManyRequestsIsRetriedAfterRetryAfter) {
  double_->configure({{"submit_429", 1}, {"retry_after", 1}});
  auto ex = executor();
  const auto t0 = std::chrono::steady_clock::now();
  ex.run(still());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 950ms);  // waited as told
  EXPECT_EQ(double_->count("submit_429"), 1);
  EXPECT_EQ(double_->count("submit"), 1);
}

TEST_P(Providers, ATaskThatNeverFinishesTimesOutAndIsCancelledAtTheProvider) {
  double_->configure({{"never_finish", true}});
  options_.timeout = 1s;
  rebuild();
  auto ex = executor();
  const std::string msg = message_of([&] { ex.run(still()); });
  EXPECT_NE(msg.find("did not finish within 1 s"), std::string::npos) << msg;
  EXPECT_EQ(double_->count("cancel"), 1);
}

TEST_P(Providers, GarbageOrOversizedResultsAreRefusedAndNothingIsStored) {
  double_->configure({{"result", "garbage"}});
  auto ex = executor();
  std::string msg = message_of([&] { ex.run(still()); });
  EXPECT_NE(msg.find("neither PNG nor JPEG"), std::string::npos) << msg;
  EXPECT_TRUE(store_->list().empty());

  double_->configure({{"result", "big"}});
  options_.max_download_bytes = 1 << 20;
  rebuild();
  auto ex2 = executor();
  msg = message_of([&] { ex2.run(still("another prompt")); });
  EXPECT_NE(msg.find("larger than 1048576 bytes"), std::string::npos) << msg;
  EXPECT_TRUE(store_->list().empty());
}

TEST_P(Providers, CancellingTheRunCallsTheProvidersCancelEndpoint) {
  double_->configure({{"never_finish", true}});
  auto ex = executor();
  pipeline::RunOptions ro;
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    ro.cancel.cancel();
  });
  const auto t0 = std::chrono::steady_clock::now();
  try {
    ex.run(still(), ro);
    ADD_FAILURE() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Cancelled) << e.what();
  }
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(double_->count("cancel"), 1);
}

TEST_P(Providers, AnInterruptedWaitResumesTheSameTaskWithoutASecondSubmission) {
  double_->configure({{"never_finish", true}});
  auto m = registry_->get(GetParam().image_model);
  auto& t2i = model::as_task<model::TextToImage>(*m, model::Task::text_to_image);
  model::TextToImageRequest req;
  req.prompt = "a blue vase";
  req.width = 64;
  req.height = 48;
  model::RunContext ctx;
  ctx.call_key = "0123456789abcdef0123456789abcdef";
  ctx.pending = store_.get();
  // The process dies while waiting: nothing unwinds to cancel or forget the task (an
  // error that is not a cancel, thrown from the progress callback, stands in for it).
  ctx.on_progress = [&](double, std::string_view) {
    if (double_->count("poll") >= 2) throw Error(ErrorKind::Internal, "process killed");
  };
  EXPECT_THROW(t2i.generate(req, ctx), Error);
  ASSERT_TRUE(store_->find_pending(ctx.call_key));
  EXPECT_EQ(double_->count("cancel"), 0);

  double_->configure({{"never_finish", false}, {"polls_before_done", 0}});
  ctx.on_progress = nullptr;
  model::ImageResult out = t2i.generate(req, ctx);
  EXPECT_EQ(out.image.width(), 64);
  EXPECT_EQ(out.metadata["resumed"], true);
  EXPECT_EQ(double_->count("submit"), 1);  // the same task, paid once

  // A task the provider has forgotten (its retention passed) is submitted anew, once.
  store_->put_pending("fedcba9876543210fedcba9876543210",
                      {{"provider", GetParam().provider},
                       {"task", {{"id", "forgotten-task"}, {"app", "fal-ai/flux"}}}});
  ctx.call_key = "fedcba9876543210fedcba9876543210";
  t2i.generate(req, ctx);
  EXPECT_EQ(double_->count("submit"), 2);
}

TEST_P(Providers, AnImageToVideoCallReturnsAVideoPricedByTheTable) {
  studio::register_models(*registry_);
  auto ex = executor();
  pipeline::RunPlan plan = ex.plan(clip());
  pipeline::RunResult r = ex.run(clip());
  ASSERT_TRUE(r.output.video);
  EXPECT_EQ(r.output.width, 64);
  const pipeline::StepCost& film = r.cost.steps.back();
  EXPECT_TRUE(film.paid);
  Json body = Json::parse(double_->state()["requests"][0]["body"].get<std::string>());
  if (body.contains("input")) body = body["input"];
  // The still goes as a PNG data URI under the provider's field.
  const std::string field = std::string(GetParam().provider) == "fal" ? "image_url" : "image";
  EXPECT_EQ(body[field].get<std::string>().rfind("data:image/png;base64,", 0), 0u);
  if (std::string(GetParam().provider) == "fal") {
    EXPECT_EQ(body["duration"], "5");                // Kling on fal takes a string
    EXPECT_NEAR(plan.steps.back().usd, 0.28, 1e-9);  // $0.056 per output second
    EXPECT_NEAR(film.usd.value, 0.28, 1e-9);
  } else {
    EXPECT_TRUE(plan.steps.back().unpriced);
    EXPECT_TRUE(film.unpriced);
  }
}

TEST_P(Providers, BadValuesAndMissingKeysAreRefusedBeforeAnyRequest) {
  if (std::string(GetParam().provider) == "fal") {
    studio::register_models(*registry_);
    auto ex = executor();
    const std::string msg = message_of([&] { ex.run(clip(7)); });
    EXPECT_NE(msg.find("makes clips of 5, 10 s"), std::string::npos) << msg;
  }
  options_.keys.clear();
  rebuild();
  const auto card = registry_->get(GetParam().image_model)->card();
  EXPECT_FALSE(card.availability.available);
  EXPECT_EQ(card.availability.needs,
            std::vector<std::string>{std::string("env:") + GetParam().key_var});
  auto ex = executor();
  const std::string msg = message_of([&] { ex.run(still()); });
  EXPECT_NE(msg.find(GetParam().key_var), std::string::npos) << msg;
  EXPECT_TRUE(double_->state()["requests"].empty());
}

TEST_P(Providers, CommercialSafeRefusesAnUndisclosedModelBeforeAnyRequest) {
  sdk::SessionOptions so;
  so.store_root = dir_ / "session-store";
  so.sign = false;
  so.policy = "commercial-safe";
  so.models.providers = options_;
  sdk::Session session(so);
  try {
    session.run(still());
    ADD_FAILURE() << "not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Policy) << e.what();
    EXPECT_NE(std::string(e.what()).find("undisclosed"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(double_->state()["requests"].empty());
}

TEST_P(Providers, TheKeyNeverReachesTheStoreOrAnError) {
  double_->configure({{"fail_message", std::string("rejected key ") + kKey}});
  auto ex = executor();
  const std::string msg = message_of([&] { ex.run(still()); });
  EXPECT_EQ(msg.find(kKey), std::string::npos) << msg;
  EXPECT_NE(msg.find("[redacted]"), std::string::npos) << msg;
  double_->configure({{"fail_message", ""}});
  pipeline::RunResult r = ex.run(still("x"));
  EXPECT_EQ(r.cost.to_json().dump().find(kKey), std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(kKey), std::string::npos) << e.path();
  }
}

INSTANTIATE_TEST_SUITE_P(EveryAdapter, Providers, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.provider); });

}  // namespace
}  // namespace reel
