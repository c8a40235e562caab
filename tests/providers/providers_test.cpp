// Hosted providers against their protocol test doubles (tests/providers/doubles/): each
// case runs for every adapter, through the real executor and artifact store. A provider
// with one generating task runs the battery on that task's model (BFL: stills; Luma:
// text-to-video); the image-to-video cases run for the providers that have one. Kling signs
// a token with a key pair instead of sending a key, and Firefly buys one from Adobe IMS with
// its pair: their cases name the second variable.
#include "reel/providers/providers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "providers/call_engine.hpp"
#include "providers/curl_http.hpp"
#include "providers/kling_jwt.hpp"
#include "providers/provider.hpp"
#include "reel/core/error.hpp"
#include "reel/pipeline/executor.hpp"
#include "reel/sdk/session.hpp"
#include "reel/studio/studio.hpp"
#include "support/provider_double.hpp"
#include "support/test_dirs.hpp"

namespace reel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kKey = "sk-test-Secret-0f1e2d3c4b5a";
constexpr const char* kAccessKey = "ak-test-Access-9a8b7c6d";

struct Case {
  const char* provider;
  const char* key_var;
  const char* model;  // the battery's model: text_to_image, else text_to_video
  model::Task task;
  int width, height;        // a size `model` makes
  const char* submit_path;  // of `model`
  const char* auth_header;  // the header carrying the key, and its exact prefix
  const char* auth_prefix;
  const char* extra_header;  // "Name: value" every request carries, or ""
  const char* prompt_field;  // where the prompt goes in the body
  bool sends_seed;
  bool has_cancel;  // BFL has no cancel endpoint
  // image_to_video ("" = none), the clip's size and the extra params it needs.
  const char* video_model;
  int video_width, video_height;
  const char* video_extra;  // JSON
  // The key pair's other half ("" = a single key): `key_var` is then the signing secret,
  // which is never sent, and auth_prefix starts a token minted from both.
  const char* access_var = "";
  double seconds = 5;        // a clip length the video models make
  bool synchronous = false;  // the answer is the image: no task to poll, resume or cancel
};

const Case kCases[] = {
    {"fal", "FAL_KEY", "fal:fal-ai/flux/dev", model::Task::text_to_image, 64, 48,
     "/fal-ai/flux/dev", "Authorization", "Key ", "", "prompt", true, true,
     "fal:fal-ai/kling-video/v2.1/standard/image-to-video", 0, 0, "{}"},
    {"replicate", "REPLICATE_API_TOKEN", "replicate:black-forest-labs/flux-dev",
     model::Task::text_to_image, 64, 48, "/v1/models/black-forest-labs/flux-dev/predictions",
     "Authorization", "Bearer ", "", "prompt", true, true, "replicate:wan-video/wan-2.2-i2v-fast",
     0, 0, "{}"},
    {"runway", "RUNWAYML_API_SECRET", "runway:gen4_image", model::Task::text_to_image, 1024, 1024,
     "/v1/text_to_image", "Authorization", "Bearer ", "X-Runway-Version: 2024-11-06", "promptText",
     true, true, "runway:gen4_turbo", 1280, 720, "{}"},
    {"bfl", "BFL_API_KEY", "bfl:flux-pro-1.1", model::Task::text_to_image, 1024, 768,
     "/v1/flux-pro-1.1", "x-key", "", "", "prompt", true, false, "", 0, 0, "{}"},
    {"luma", "LUMAAI_API_KEY", "luma:ray-2", model::Task::text_to_video, 64, 48,
     "/generations/video", "Authorization", "Bearer ", "", "prompt", false, true,
     "luma:ray-flash-2", 0, 0,
     R"({"provider_input": {"keyframes": {"frame0": {"type": "image",
         "url": "https://example.com/first-frame.png"}}}})"},
    {"kling", "KLING_SECRET_KEY", "kling:kling-v2-1", model::Task::text_to_video, 1280, 720,
     "/v1/videos/text2video", "Authorization", "Bearer ", "", "prompt", false, false,
     "kling:kling-v2-1", 0, 0, "{}", "KLING_ACCESS_KEY"},
    // The seed goes under `parameters`, not `input`: checked in the DashScope branches.
    {"dashscope", "DASHSCOPE_API_KEY", "dashscope:wan2.2-t2v-plus", model::Task::text_to_video, 832,
     480, "/api/v1/services/aigc/video-generation/video-synthesis", "Authorization", "Bearer ", "",
     "prompt", false, true, "dashscope:wan2.2-i2v-plus", 0, 0, "{}"},
    // The prompt is instances[0].prompt; no seed (the Gemini API takes none); 8 s clips.
    {"veo", "GEMINI_API_KEY", "veo:veo-3.0-generate-001", model::Task::text_to_video, 1280, 720,
     "/v1beta/models/veo-3.0-generate-001:predictLongRunning", "x-goog-api-key", "", "", "prompt",
     false, false, "veo:veo-3.0-generate-001", 0, 0, "{}", "", 8},
    {"openai",
     "OPENAI_API_KEY",
     "openai:gpt-image-1",
     model::Task::text_to_image,
     1024,
     1024,
     "/v1/images/generations",
     "Authorization",
     "Bearer ",
     "",
     "prompt",
     false,
     false,
     "",
     0,
     0,
     "{}",
     "",
     5,
     true},
    // Licensed-data providers. Bria: no cancel endpoint; aspect_ratio from the size.
    {"bria", "BRIA_API_TOKEN", "bria:fibo", model::Task::text_to_image, 1024, 768,
     "/image/generate", "api_token", "", "", "prompt", true, false, "", 0, 0, "{}"},
    // Firefly: the key pair is a client id (sent as x-api-key) and a client secret (sent to
    // the token endpoint alone); the API takes the token IMS issued for them. Seeds go in
    // `seeds`: checked in the Firefly branches.
    {"firefly", "FIREFLY_SERVICES_CLIENT_SECRET", "firefly:image4_standard",
     model::Task::text_to_image, 1024, 768, "/v3/images/generate-async", "Authorization", "Bearer ",
     "x-api-key: ak-test-Access-9a8b7c6d", "prompt", false, true, "", 0, 0, "{}",
     "FIREFLY_SERVICES_CLIENT_ID"},
};

class Providers : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    // Each double issues its own tokens: none may come from an earlier test's (a port the
    // system hands out again would otherwise find one in this process's cache).
    providers::clear_access_tokens();
    const bool pair = *GetParam().access_var;
    double_ =
        std::make_unique<testing::DoubleProcess>(GetParam().provider, kKey, pair ? kAccessKey : "");
    options_.keys[GetParam().key_var] = kKey;
    if (pair) options_.keys[GetParam().access_var] = kAccessKey;
    options_.base_urls[GetParam().provider] = double_->base_url();
    options_.poll_interval = 20ms;
    registry_ = std::make_unique<model::Registry>();
    providers::register_models(*registry_, options_);
    store_ = std::make_unique<pipeline::ArtifactStore>(dir_ / "store");
  }

  pipeline::Executor executor() { return pipeline::Executor(*registry_, *store_); }

  // One call of the case's model: a still, or a text-to-video clip for video-only ones.
  pipeline::Graph job(const std::string& prompt = "a red cup on a table", int width = 0,
                      int height = 0) {
    const Case& c = GetParam();
    pipeline::Graph g;
    g.name = "hosted";
    g.seed = 7;
    Json params = {{"prompt", prompt},
                   {"width", width ? width : c.width},
                   {"height", height ? height : c.height}};
    if (c.task == model::Task::text_to_video) {
      params["duration"] = c.seconds;
      params["fps"] = 8;
    }
    g.steps.push_back({"still", c.task, c.model, {}, params, {}});
    g.output = "still";
    return g;
  }

  // The case's model called directly (no executor): returns the result's metadata.
  Json call_directly(model::RunContext& ctx) {
    const Case& c = GetParam();
    auto m = registry_->get(c.model);
    if (c.task == model::Task::text_to_image) {
      model::TextToImageRequest req;
      req.prompt = "a blue vase";
      req.width = c.width;
      req.height = c.height;
      return model::as_task<model::TextToImage>(*m, c.task).generate(req, ctx).metadata;
    }
    model::TextToVideoRequest req;
    req.prompt = "a blue vase";
    req.width = c.width;
    req.height = c.height;
    req.duration_seconds = c.seconds;
    return model::as_task<model::TextToVideo>(*m, c.task).generate_video(req, ctx).metadata;
  }

  pipeline::Graph clip(double duration = 0, bool with_extra = true) {
    const Case& c = GetParam();
    if (duration == 0) duration = c.seconds;
    pipeline::Graph g;
    g.name = "hosted-clip";
    g.seed = 7;
    g.steps.push_back({"char",
                       model::Task::text_to_image,
                       "studio-character",
                       {},
                       {{"prompt", "robot"}, {"width", 64}, {"height", 48}},
                       {}});
    Json params = {{"motion", "slow pan"}, {"duration", duration}, {"fps", 8}};
    if (c.video_width) params["width"] = c.video_width;
    if (c.video_height) params["height"] = c.video_height;
    if (with_extra) params["extra"] = Json::parse(c.video_extra);  // e.g. Luma's keyframes
    g.steps.push_back(
        {"film", model::Task::image_to_video, c.video_model, {{"image", "char"}}, params, {}});
    g.output = "film";
    return g;
  }

  bool is(const char* provider) const { return std::string(GetParam().provider) == provider; }

  // The auth (and any version) header every request to the provider carries.
  void expect_auth(const Json& request) {
    const Case& c = GetParam();
    if (*c.access_var) {
      // A signed token (the double verified it, or it would have answered 401); never the
      // secret itself.
      const std::string value = request["headers"][c.auth_header];
      EXPECT_EQ(value.rfind(c.auth_prefix, 0), 0u) << value;
      EXPECT_EQ(std::count(value.begin(), value.end(), '.'), 2) << value;
      EXPECT_EQ(value.find(kKey), std::string::npos);
    } else {
      EXPECT_EQ(request["headers"][c.auth_header], std::string(c.auth_prefix) + kKey);
    }
    const std::string extra = c.extra_header;
    if (!extra.empty()) {
      const auto colon = extra.find(": ");
      EXPECT_EQ(request["headers"][extra.substr(0, colon)], extra.substr(colon + 2));
    }
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

  // A run with `secret_var` set to a wrong value: refused by the provider (HTTP 401), the
  // wrong secret quoted nowhere. Returns the message.
  std::string refused_with_wrong_secret(const char* secret_var) {
    options_.keys[secret_var] = "sk-wrong-secret-1234";
    rebuild();
    auto ex = executor();
    try {
      ex.run(job());
      ADD_FAILURE() << "not refused";
      return "";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::Policy) << msg;
      EXPECT_NE(msg.find("HTTP 401"), std::string::npos) << msg;
      EXPECT_EQ(msg.find("sk-wrong-secret"), std::string::npos) << msg;
      return msg;
    }
  }

  // No file under the test's folder (store, records, outputs) holds `secret`.
  void expect_in_no_file(const std::string& secret) {
    for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      EXPECT_EQ(bytes.str().find(secret), std::string::npos) << e.path();
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::DoubleProcess> double_;
  providers::ProviderOptions options_;
  std::unique_ptr<model::Registry> registry_;
  std::unique_ptr<pipeline::ArtifactStore> store_;
};

TEST_P(Providers, SuccessSendsTheMappedFieldsWithTheProvidersAuthAndStoresTheResult) {
  auto ex = executor();
  pipeline::RunResult r = ex.run(job());
  // The double's file: a 64x48 PNG, or a 64x48 MP4 for video models.
  ASSERT_TRUE(GetParam().task == model::Task::text_to_image ? bool(r.output.image)
                                                            : bool(r.output.video));
  EXPECT_EQ(r.output.width, 64);
  EXPECT_EQ(r.output.height, 48);
  const Json st = double_->state();
  EXPECT_EQ(st["counts"]["submit"], 1);
  EXPECT_EQ(st["counts"]["download"], 1);
  const Json& submit = st["requests"][0];
  EXPECT_EQ(submit["method"], "POST");
  EXPECT_EQ(submit["path"], GetParam().submit_path);
  EXPECT_EQ(submit["headers"]["Content-Type"], "application/json");
  Json body = Json::parse(submit["body"].get<std::string>());
  if (body.contains("input")) body = body["input"];             // Replicate wraps the model's input
  if (body.contains("instances")) body = body["instances"][0];  // and Veo its instance
  EXPECT_EQ(body[GetParam().prompt_field], "a red cup on a table");
  if (GetParam().sends_seed)
    EXPECT_EQ(body["seed"], 7);
  else
    EXPECT_FALSE(body.contains("seed")) << body;
  // The size as the provider names it.
  if (is("runway")) {
    EXPECT_EQ(body["ratio"], "1024:1024");
  }
  if (is("bfl")) {
    EXPECT_EQ(body["width"], 1024);
    EXPECT_EQ(body["height"], 768);
    EXPECT_EQ(body["output_format"], "png");
  }
  if (is("luma")) {
    EXPECT_EQ(body["model"], "ray-2");
    EXPECT_EQ(body["aspect_ratio"], "4:3");
    EXPECT_EQ(body["duration"], "5s");
  }
  if (is("dashscope")) {
    const Json raw = Json::parse(submit["body"].get<std::string>());
    EXPECT_EQ(raw["model"], "wan2.2-t2v-plus");
    EXPECT_EQ(raw["parameters"]["size"], "832*480");
    EXPECT_EQ(raw["parameters"]["duration"], 5);
    EXPECT_EQ(raw["parameters"]["seed"], 7);
    EXPECT_EQ(submit["headers"]["X-DashScope-Async"], "enable");  // the submission only
    EXPECT_FALSE(st["requests"][1]["headers"].contains("X-DashScope-Async"));
  }
  if (is("veo")) {
    const Json raw = Json::parse(submit["body"].get<std::string>());
    EXPECT_EQ(raw["parameters"]["aspectRatio"], "16:9");
    EXPECT_EQ(raw["parameters"]["durationSeconds"], 8);
    EXPECT_FALSE(raw["parameters"].contains("seed"));  // the Gemini API takes none
    // The file download carried the key: it is on the API's own host.
    const Json& last = st["requests"].back();
    EXPECT_NE(last["path"].get<std::string>().find(":download?alt=media"), std::string::npos);
  }
  if (is("openai")) {
    EXPECT_EQ(body["model"], "gpt-image-1");
    EXPECT_EQ(body["size"], "1024x1024");
    EXPECT_EQ(body["n"], 1);
    EXPECT_EQ(st["requests"].size(), 1u);  // synchronous: the answer was the image
  }
  if (is("kling")) {
    EXPECT_EQ(body["model_name"], "kling-v2-1");
    EXPECT_EQ(body["aspect_ratio"], "16:9");
    EXPECT_EQ(body["duration"], "5");
    EXPECT_EQ(body["mode"], "std");
  }
  if (is("bria")) {
    EXPECT_EQ(body["aspect_ratio"], "4:3");
    EXPECT_EQ(body["sync"], false);  // the async flow: request_id, then the status service
    EXPECT_EQ(st["requests"][1]["path"].get<std::string>().rfind("/status/bria-task-", 0), 0u);
  }
  if (is("firefly")) {
    EXPECT_EQ(body["seeds"], Json::array({7}));
    EXPECT_EQ(body["numVariations"], 1);
    EXPECT_EQ(body["size"], Json({{"width", 1024}, {"height", 768}}));
    EXPECT_EQ(submit["headers"]["x-model-version"], "image4_standard");
    // The status URL Firefly gave (on Adobe's host) was followed on the overridden base.
    EXPECT_EQ(st["requests"][1]["path"], "/v3/status/urn:ff:jobs:double:firefly-task-1");
    // One token request, with the client credentials as a form.
    ASSERT_EQ(st["token_requests"].size(), 1u);
    const Json& tr = st["token_requests"][0];
    EXPECT_EQ(tr["method"], "POST");
    EXPECT_EQ(tr["path"], "/ims/token/v3");
    EXPECT_EQ(tr["headers"]["Content-Type"], "application/x-www-form-urlencoded");
    const std::string form = tr["body"];
    for (const std::string field :
         {std::string("grant_type=client_credentials"), std::string("client_id=") + kAccessKey,
          std::string("client_secret=") + kKey,
          std::string("scope=openid%2CAdobeID%2Csession%2Cadditional_info%2C"
                      "read_organizations%2Cfirefly_api%2Cff_apis")})
      EXPECT_NE(form.find(field), std::string::npos) << form;
  }
  // Every request, the submission and each poll, carries the same auth.
  for (const auto& req : st["requests"]) expect_auth(req);
  EXPECT_EQ(r.cost.steps.at(0).device, "provider");
}

TEST_P(Providers, ASecondIdenticalRunMakesNoRequestAtAll) {
  auto ex = executor();
  ex.run(job());
  const std::size_t before = double_->state()["requests"].size();
  pipeline::RunResult again = ex.run(job());
  EXPECT_EQ(again.cached, 1);
  EXPECT_EQ(double_->state()["requests"].size(), before);
  EXPECT_EQ(double_->count("download"), 1);
}

TEST_P(Providers, AFailedTaskGivesOneErrorWithTheProvidersMessage) {
  double_->configure({{"fail_message", "prompt was flagged by the safety checker"}});
  auto ex = executor();
  const std::string msg = message_of([&] { ex.run(job()); });
  EXPECT_NE(msg.find("prompt was flagged by the safety checker"), std::string::npos) << msg;
  EXPECT_NE(msg.find(GetParam().provider), std::string::npos) << msg;
  EXPECT_EQ(double_->count("submit"), 1);
}

TEST_P(Providers, TooManyRequestsIsRetriedAfterRetryAfter) {
  double_->configure({{"submit_429", 1}, {"retry_after", 1}});
  auto ex = executor();
  const auto t0 = std::chrono::steady_clock::now();
  ex.run(job());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 950ms);  // waited as told
  EXPECT_EQ(double_->count("submit_429"), 1);
  EXPECT_EQ(double_->count("submit"), 1);
}

TEST_P(Providers, ATaskThatNeverFinishesTimesOutAndIsCancelledAtTheProvider) {
  double_->configure({{"never_finish", true}});
  options_.timeout = 1s;
  rebuild();
  auto ex = executor();
  const std::string msg = message_of([&] { ex.run(job()); });
  EXPECT_NE(msg.find("did not finish within 1 s"), std::string::npos) << msg;
  if (GetParam().has_cancel) {
    EXPECT_EQ(double_->count("cancel"), 1);
  } else {  // no endpoint to call: the message says the task may still be billed
    EXPECT_EQ(double_->count("cancel"), 0);
    EXPECT_NE(msg.find("no cancel endpoint"), std::string::npos) << msg;
    for (const auto& req : double_->state()["requests"])
      EXPECT_TRUE(req["method"] == "GET" || req["method"] == "POST") << req;
  }
}

TEST_P(Providers, GarbageOrOversizedResultsAreRefusedAndNothingIsStored) {
  double_->configure({{"result", "garbage"}});
  auto ex = executor();
  std::string msg = message_of([&] { ex.run(job()); });
  const char* refusal = GetParam().task == model::Task::text_to_image ? "neither PNG nor JPEG"
                                                                      : "cannot read as a video";
  EXPECT_NE(msg.find(refusal), std::string::npos) << msg;
  EXPECT_TRUE(store_->list().empty());

  double_->configure({{"result", "big"}});
  options_.max_download_bytes = 1 << 20;
  rebuild();
  auto ex2 = executor();
  msg = message_of([&] { ex2.run(job("another prompt")); });
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
    ex.run(job(), ro);
    ADD_FAILURE() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Cancelled) << e.what();
  }
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);  // the run stops either way
  EXPECT_EQ(double_->count("cancel"), GetParam().has_cancel ? 1 : 0);
}

TEST_P(Providers, AnInterruptedWaitResumesTheSameTaskWithoutASecondSubmission) {
  if (GetParam().synchronous) {
    // Nothing to resume: no pending-call record is written, and a second call (as after
    // a run killed mid-request) submits, and pays, again.
    model::RunContext ctx;
    ctx.call_key = "0123456789abcdef0123456789abcdef";
    ctx.pending = store_.get();
    call_directly(ctx);
    EXPECT_FALSE(store_->find_pending(ctx.call_key));
    EXPECT_EQ(call_directly(ctx)["resumed"], false);
    EXPECT_EQ(double_->count("submit"), 2);
    return;
  }
  double_->configure({{"never_finish", true}});
  model::RunContext ctx;
  ctx.call_key = "0123456789abcdef0123456789abcdef";
  ctx.pending = store_.get();
  // The process dies while waiting: nothing unwinds to cancel or forget the task (an
  // error that is not a cancel, thrown from the progress callback, stands in for it).
  ctx.on_progress = [&](double, std::string_view) {
    if (double_->count("poll") >= 2) throw Error(ErrorKind::Internal, "process killed");
  };
  EXPECT_THROW(call_directly(ctx), Error);
  ASSERT_TRUE(store_->find_pending(ctx.call_key));
  EXPECT_EQ(double_->count("cancel"), 0);

  double_->configure({{"never_finish", false}, {"polls_before_done", 0}});
  ctx.on_progress = nullptr;
  EXPECT_EQ(call_directly(ctx)["resumed"], true);
  EXPECT_EQ(double_->count("submit"), 1);  // the same task, paid once

  // A task the provider has forgotten (its retention passed) is submitted anew, once.
  store_->put_pending("fedcba9876543210fedcba9876543210",
                      {{"provider", GetParam().provider},
                       {"task", {{"id", "forgotten-task"}, {"app", "fal-ai/flux"}}}});
  ctx.call_key = "fedcba9876543210fedcba9876543210";
  call_directly(ctx);
  EXPECT_EQ(double_->count("submit"), 2);
}

// Only for the providers with an image-to-video model (not BFL).
class ProvidersVideo : public Providers {};

TEST_P(ProvidersVideo, AnImageToVideoCallReturnsAVideoPricedByTheTable) {
  studio::register_models(*registry_);
  auto ex = executor();
  pipeline::RunPlan plan = ex.plan(clip());
  pipeline::RunResult r = ex.run(clip());
  ASSERT_TRUE(r.output.video);
  EXPECT_EQ(r.output.width, 64);
  const pipeline::StepCost& film = r.cost.steps.back();
  EXPECT_TRUE(film.paid);
  const Json submit = double_->state()["requests"][0];
  expect_auth(submit);
  Json body = Json::parse(submit["body"].get<std::string>());
  if (body.contains("input")) body = body["input"];
  if (body.contains("instances")) body = body["instances"][0];
  if (is("luma")) {
    // Luma takes URLs only: the keyframes from provider_input, never the data URI.
    EXPECT_EQ(submit["path"], "/generations/video");
    EXPECT_EQ(body["keyframes"]["frame0"]["url"], "https://example.com/first-frame.png");
    EXPECT_EQ(submit["body"].get<std::string>().find("data:image"), std::string::npos);
    EXPECT_EQ(body["model"], "ray-flash-2");
    EXPECT_EQ(body["duration"], "5s");
    EXPECT_EQ(body["aspect_ratio"], "4:3");  // 64x48
  } else if (is("dashscope")) {
    // DashScope takes a base64 data URI in img_url: the still goes as is.
    EXPECT_EQ(body["img_url"].get<std::string>().rfind("data:image/png;base64,", 0), 0u);
    const Json raw = Json::parse(submit["body"].get<std::string>());
    EXPECT_EQ(raw["model"], "wan2.2-i2v-plus");
    EXPECT_EQ(raw["parameters"]["duration"], 5);
    EXPECT_FALSE(raw["parameters"].contains("resolution"));  // a tier: DashScope's default
    EXPECT_TRUE(plan.steps.back().unpriced);                 // quoted in CNY only
  } else if (is("veo")) {
    // Veo takes the still inline: bare base64 bytes and their type.
    EXPECT_EQ(body["image"]["bytesBase64Encoded"].get<std::string>().rfind("iVBORw0KGgo", 0), 0u);
    EXPECT_EQ(body["image"]["mimeType"], "image/png");
    EXPECT_EQ(submit["path"], "/v1beta/models/veo-3.0-generate-001:predictLongRunning");
    EXPECT_NEAR(plan.steps.back().usd, 3.2, 1e-9);  // 8 s at $0.40 per output second
    EXPECT_NEAR(film.usd.value, 3.2, 1e-9);
  } else if (is("kling")) {
    // Kling takes the still as bare base64: no "data:image/png;base64," before it.
    EXPECT_EQ(submit["path"], "/v1/videos/image2video");
    EXPECT_EQ(body["image"].get<std::string>().rfind("iVBORw0KGgo", 0), 0u);
    EXPECT_EQ(body["model_name"], "kling-v2-1");
    EXPECT_EQ(body["duration"], "5");
    EXPECT_FALSE(body.contains("aspect_ratio")) << body;  // the still sets it
    // The status is read on the endpoint the task was created on.
    const std::string poll = double_->state()["requests"][1]["path"];
    EXPECT_EQ(poll.rfind("/v1/videos/image2video/kling-task-", 0), 0u) << poll;
  } else {
    // The still goes as a PNG data URI under the provider's field.
    const std::string field = is("fal") ? "image_url" : is("runway") ? "promptImage" : "image";
    EXPECT_EQ(body[field].get<std::string>().rfind("data:image/png;base64,", 0), 0u);
  }
  if (is("fal")) {
    EXPECT_EQ(body["duration"], "5");                // Kling on fal takes a string
    EXPECT_NEAR(plan.steps.back().usd, 0.28, 1e-9);  // $0.056 per output second
    EXPECT_NEAR(film.usd.value, 0.28, 1e-9);
  } else if (is("runway")) {
    EXPECT_EQ(submit["path"], "/v1/image_to_video");
    EXPECT_EQ(body["model"], "gen4_turbo");
    EXPECT_EQ(body["promptText"], "slow pan");
    EXPECT_EQ(body["duration"], 5);
    EXPECT_EQ(body["ratio"], "1280:720");
    EXPECT_NEAR(plan.steps.back().usd, 0.25, 1e-9);  // $0.05 per output second
    EXPECT_NEAR(film.usd.value, 0.25, 1e-9);
  } else if (is("veo")) {
    EXPECT_TRUE(film.paid);  // priced above
  } else {
    EXPECT_TRUE(plan.steps.back().unpriced);
    EXPECT_TRUE(film.unpriced);
  }
}

TEST_P(Providers, BadValuesAndMissingKeysAreRefusedBeforeAnyRequest) {
  studio::register_models(*registry_);
  // Each refusal is the plan's already (the pre-flight check builds the adapter's request
  // without sending it) and the run's alike, in the same words.
  auto refused = [&](pipeline::Executor& ex, const pipeline::Graph& g) {
    const std::string planned = message_of([&] { ex.plan(g); });
    const std::string ran = message_of([&] { ex.run(g); });
    EXPECT_EQ(planned, ran);
    return ran;
  };
  {
    auto ex = executor();
    std::string msg;
    if (is("fal")) {
      msg = refused(ex, clip(7));
      EXPECT_NE(msg.find("makes clips of 5, 10 s"), std::string::npos) << msg;
    } else if (is("runway")) {
      msg = refused(ex, job("a cup", 1000, 700));  // no such output size
      EXPECT_NE(msg.find("1024:1024, 1080:1080"), std::string::npos) << msg;
      msg = refused(ex, clip(7));
      EXPECT_NE(msg.find("makes clips of 5, 10 s"), std::string::npos) << msg;
    } else if (is("bfl")) {
      msg = refused(ex, job("a cup", 1000, 768));
      EXPECT_NE(msg.find("256..1440 in multiples of 32"), std::string::npos) << msg;
    } else if (is("luma")) {
      // A first frame reel made cannot be sent: Luma takes URLs only.
      msg = refused(ex, clip(5, /*with_extra=*/false));
      EXPECT_NE(msg.find("Luma takes the first frame as an https URL: pass "
                         "params.provider_input.keyframes"),
                std::string::npos)
          << msg;
      msg = refused(ex, job("a cup", 100, 30));
      EXPECT_NE(msg.find("16:9, 9:16, 1:1, 4:3, 3:4, 21:9, 9:21"), std::string::npos) << msg;
      msg = refused(ex, clip(7));
      EXPECT_NE(msg.find("makes clips of 5, 9 s"), std::string::npos) << msg;
    } else if (is("dashscope")) {
      msg = refused(ex, job("a cup", 1280, 720));
      EXPECT_NE(msg.find("832*480, 480*832, 624*624, 1920*1080"), std::string::npos) << msg;
      msg = refused(ex, clip(10));
      EXPECT_NE(msg.find("makes clips of 5 s"), std::string::npos) << msg;
      pipeline::Graph big_seed = job();
      big_seed.seed = 3'000'000'000ull;
      // The seed is not part of a planned call: its range is refused when the step
      // starts, still before any request.
      msg = message_of([&] { ex.run(big_seed); });
      EXPECT_NE(msg.find("seed in 0..2147483647"), std::string::npos) << msg;
    } else if (is("veo")) {
      msg = refused(ex, job("a cup", 1000, 1000));
      EXPECT_NE(msg.find("makes the aspect ratios 16:9, 9:16"), std::string::npos) << msg;
      msg = refused(ex, clip(5));
      EXPECT_NE(msg.find("makes clips of 8 s"), std::string::npos) << msg;
    } else if (is("openai")) {
      msg = refused(ex, job("a cup", 1000, 700));
      EXPECT_NE(msg.find("1024x1024, 1536x1024, 1024x1536"), std::string::npos) << msg;
      pipeline::Graph two = job();
      two.steps[0].params["extra"] = {{"provider_input", {{"n", 2}}}};
      msg = refused(ex, two);
      EXPECT_NE(msg.find("one image per call (n = 1)"), std::string::npos) << msg;
    } else if (is("bria")) {
      msg = refused(ex, job("a cup", 100, 30));
      EXPECT_NE(msg.find("1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9"), std::string::npos)
          << msg;
      pipeline::Graph big_seed = job();
      big_seed.seed = 3'000'000'000ull;
      // The seed is not part of a planned call: its range is refused when the step
      // starts, still before any request.
      msg = message_of([&] { ex.run(big_seed); });
      EXPECT_NE(msg.find("seeds 0..2147483647"), std::string::npos) << msg;
    } else if (is("firefly")) {
      // Refused before any request, the token request included.
      pipeline::Graph two = job();
      two.steps[0].params["extra"] = {{"provider_input", {{"numVariations", 2}}}};
      msg = refused(ex, two);
      EXPECT_NE(msg.find("one image per call (numVariations = 1)"), std::string::npos) << msg;
    } else if (is("kling")) {
      msg = refused(ex, job("a cup", 100, 30));
      EXPECT_NE(msg.find("16:9, 9:16, 1:1"), std::string::npos) << msg;
      msg = refused(ex, clip(7));
      EXPECT_NE(msg.find("makes clips of 5, 10 s"), std::string::npos) << msg;
      pipeline::Graph turbo = job();
      turbo.steps[0].params["extra"] = {{"provider_input", {{"mode", "turbo"}}}};
      msg = refused(ex, turbo);
      EXPECT_NE(msg.find("takes mode std, pro"), std::string::npos) << msg;
    }
  }
  EXPECT_TRUE(double_->state()["requests"].empty());
  EXPECT_TRUE(double_->state()["token_requests"].empty());
  options_.keys.clear();
  rebuild();
  const auto card = registry_->get(GetParam().model)->card();
  EXPECT_FALSE(card.availability.available);
  std::vector<std::string> needs;
  if (*GetParam().access_var) needs.push_back(std::string("env:") + GetParam().access_var);
  needs.push_back(std::string("env:") + GetParam().key_var);
  EXPECT_EQ(card.availability.needs, needs);
  // Every variable named, the key pair's second half too.
  EXPECT_NE(card.description.find(GetParam().key_var), std::string::npos) << card.description;
  auto ex = executor();
  const std::string msg = refused(ex, job());
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
  // Bria and Firefly declare licensed training data for their table models: allowed.
  const bool licensed =
      registry_->get(GetParam().model)->card().training_data == model::TrainingData::licensed;
  EXPECT_EQ(licensed, is("bria") || is("firefly"));
  pipeline::Graph g = job();
  if (licensed) {
    EXPECT_NO_THROW(session.run(job()));
    EXPECT_EQ(double_->count("submit"), 1);
    // A model of theirs the table does not know declares nothing: still refused.
    g.steps[0].model = std::string(GetParam().provider) + ":unlisted_model";
  }
  const std::size_t before = double_->state()["requests"].size();
  try {
    session.run(g);
    ADD_FAILURE() << "not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Policy) << e.what();
    EXPECT_NE(std::string(e.what()).find("undisclosed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(double_->state()["requests"].size(), before);
}

TEST_P(Providers, TheKeyNeverReachesTheStoreOrAnError) {
  double_->configure({{"fail_message", std::string("rejected key ") + kKey}});
  auto ex = executor();
  const std::string msg = message_of([&] { ex.run(job()); });
  EXPECT_EQ(msg.find(kKey), std::string::npos) << msg;
  EXPECT_NE(msg.find("[redacted]"), std::string::npos) << msg;
  double_->configure({{"fail_message", ""}});
  pipeline::RunResult r = ex.run(job("x"));
  EXPECT_EQ(r.cost.to_json().dump().find(kKey), std::string::npos);
  expect_in_no_file(kKey);
}

// Kling alone: its signed tokens and its errors under HTTP 200.
class ProvidersKling : public Providers {};

TEST_P(ProvidersKling, TheDoubleVerifiesTheTokensSignatureIssuerAndLifetime) {
  auto status_with = [&](const std::string& token) {
    providers::CurlHttp http;
    return http
        .send({"GET",
               double_->base_url() + "/v1/videos/text2video/none",
               {{"Authorization", "Bearer " + token}},
               ""},
              {})
        .status;
  };
  const std::time_t now = std::time(nullptr);
  EXPECT_EQ(status_with(providers::kling_jwt(kAccessKey, kKey, now)), 404);  // verified
  EXPECT_EQ(status_with(providers::kling_jwt(kAccessKey, "another-secret", now)), 401);
  EXPECT_EQ(status_with(providers::kling_jwt("another-access-key", kKey, now)), 401);
  EXPECT_EQ(status_with(providers::kling_jwt(kAccessKey, kKey, now - 3600)), 401);  // expired
  EXPECT_EQ(status_with(providers::kling_jwt(kAccessKey, kKey, now + 600)), 401);   // nbf ahead
  EXPECT_EQ(status_with("not.a-token"), 401);

  // reel with the wrong secret: refused by the provider, the secret quoted nowhere.
  refused_with_wrong_secret("KLING_SECRET_KEY");
  EXPECT_EQ(double_->count("submit"), 0);
}

TEST_P(ProvidersKling, ANonZeroCodeUnderHttp200IsAnErrorWithKlingsMessage) {
  double_->configure({{"code_error", "account balance is not enough"}});
  auto ex = executor();
  const std::string msg = message_of([&] { ex.run(job()); });
  EXPECT_NE(msg.find("code 1301: account balance is not enough"), std::string::npos) << msg;
  EXPECT_EQ(double_->count("poll"), 0);
}

// DashScope alone: a cancel works only while the task is PENDING; provider_input is laid
// over the body field by field.
class ProvidersDashScope : public Providers {};

TEST_P(ProvidersDashScope, ACancelIsAcceptedWhilePendingAndItsRefusalIsReported) {
  double_->configure({{"never_finish", true}, {"stay_pending", true}});
  options_.timeout = 1s;
  rebuild();
  auto ex = executor();
  std::string msg = message_of([&] { ex.run(job()); });
  EXPECT_NE(msg.find("it was cancelled at the provider"), std::string::npos) << msg;
  EXPECT_EQ(double_->count("cancel"), 1);

  double_->configure({{"stay_pending", false}});  // RUNNING: DashScope will not cancel it
  msg = message_of([&] { ex.run(job("another prompt")); });
  EXPECT_NE(msg.find("dashscope refused to cancel it (HTTP 400: Failed to cancel the task"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("may still finish there and be billed"), std::string::npos) << msg;
  EXPECT_EQ(double_->count("cancel"), 2);
}

TEST_P(ProvidersDashScope, ProviderInputIsLaidOverTheBodyFieldByField) {
  pipeline::Graph g = job();
  g.steps[0].params["extra"] = {
      {"provider_input", {{"parameters", {{"prompt_extend", false}, {"watermark", false}}}}}};
  auto ex = executor();
  ex.run(g);
  const Json body = Json::parse(double_->state()["requests"][0]["body"].get<std::string>());
  EXPECT_EQ(body["parameters"]["prompt_extend"], false);
  EXPECT_EQ(body["parameters"]["size"], "832*480");  // the mapped fields stay
  EXPECT_EQ(body["input"]["prompt"], "a red cup on a table");
}

// Veo alone: its files need the key, which must never reach another origin.
class ProvidersVeo : public Providers {};

TEST_P(ProvidersVeo, TheKeyGoesOnlyToTheApisOwnOriginEvenThroughARedirect) {
  const providers::Provider& veo = *providers::find_provider("veo");
  const providers::Credentials keys{{kKey}};
  const std::string google = "https://generativelanguage.googleapis.com";
  auto keyed = [&](const std::string& base, const std::string& url) {
    return !veo.download(base, url, keys).headers.empty();
  };
  EXPECT_TRUE(keyed(google, google + "/v1beta/files/abc:download?alt=media"));
  EXPECT_FALSE(keyed(google, "http://generativelanguage.googleapis.com/v1beta/files/abc"));
  EXPECT_FALSE(keyed(google, google + ".evil.example/v1beta/files/abc"));
  EXPECT_FALSE(keyed(google, google + "@evil.example/v1beta/files/abc"));
  EXPECT_FALSE(keyed(google, "https://storage.googleapis.com/bucket/video.mp4"));
  EXPECT_FALSE(keyed("http://127.0.0.1:8080", "http://127.0.0.1:9090/v1beta/files/abc"));

  // The file answers 302 to another origin: followed without the key.
  double_->configure({{"redirect_download", "other"}});
  auto ex = executor();
  pipeline::RunResult r = ex.run(job());
  ASSERT_TRUE(r.output.video);
  const Json st = double_->state();
  int to_storage = 0;
  for (const auto& req : st["requests"]) {
    const std::string path = req["path"];
    if (path.find(":download?alt=media") != std::string::npos)
      EXPECT_EQ(req["headers"]["x-goog-api-key"], kKey);
    if (path.rfind("/storage/", 0) == 0) {
      ++to_storage;
      for (const auto& [name, value] : req["headers"].items()) {
        EXPECT_NE(name, "x-goog-api-key");
        EXPECT_EQ(value.dump().find(kKey), std::string::npos) << name;
      }
    }
  }
  EXPECT_EQ(to_storage, 1);

  // A redirect on the same origin keeps it.
  double_->configure({{"redirect_download", "same"}});
  ex.run(job("another prompt"));
  const Json last = double_->state()["requests"].back();
  EXPECT_EQ(last["path"], "/v1beta/files/copy:download?alt=media");
  EXPECT_EQ(last["headers"]["x-goog-api-key"], kKey);
}

// Firefly alone: the API takes a token the client credentials buy from Adobe IMS.
class ProvidersFirefly : public Providers {
 protected:
  std::string issued_token() {
    const std::string auth = double_->state()["requests"][0]["headers"]["Authorization"];
    return auth.substr(std::string("Bearer ").size());
  }
};

TEST_P(ProvidersFirefly, TheTokenIsAskedForOnceAndTheSecretGoesNowhereElse) {
  auto ex = executor();
  ex.run(job());
  ex.run(job("another prompt"));  // a second call in this process: the same token
  const Json st = double_->state();
  EXPECT_EQ(st["token_requests"].size(), 1u);
  EXPECT_EQ(double_->count("submit"), 2);
  const std::string token = issued_token();
  EXPECT_FALSE(token.empty());
  for (const auto& req : st["requests"]) {
    EXPECT_EQ(req["headers"]["Authorization"], "Bearer " + token);
    EXPECT_EQ(req["headers"]["x-api-key"], kAccessKey);
    EXPECT_EQ(req.dump().find(kKey), std::string::npos) << req;  // the secret
  }
}

TEST_P(ProvidersFirefly, AWrongSecretIsRefusedAtTheTokenEndpointAndQuotedNowhere) {
  const std::string msg = refused_with_wrong_secret("FIREFLY_SERVICES_CLIENT_SECRET");
  EXPECT_NE(msg.find("firefly token request answered HTTP 401"), std::string::npos) << msg;
  EXPECT_NE(msg.find("invalid client_secret parameter"), std::string::npos) << msg;
  EXPECT_EQ(double_->state()["token_requests"].size(), 1u);
  EXPECT_TRUE(double_->state()["requests"].empty());
}

TEST_P(ProvidersFirefly, ARevokedTokenFailsOneCallAndTheNextAsksForANewOne) {
  auto ex = executor();
  ex.run(job());
  double_->configure({{"revoke_tokens", true}});
  const std::string msg = message_of([&] { ex.run(job("another prompt")); });
  EXPECT_NE(msg.find("HTTP 401"), std::string::npos) << msg;
  ex.run(job("a third prompt"));
  EXPECT_EQ(double_->state()["token_requests"].size(), 2u);
  EXPECT_EQ(double_->count("submit"), 2);
}

TEST_P(ProvidersFirefly, TheTokenIsInNoErrorAndNoFile) {
  auto ex = executor();
  ex.run(job());
  const std::string token = issued_token();
  double_->configure({{"fail_message", "token " + token + " was refused"}});
  const std::string msg = message_of([&] { ex.run(job("another prompt")); });
  EXPECT_EQ(msg.find(token), std::string::npos) << msg;
  EXPECT_NE(msg.find("token [redacted] was refused"), std::string::npos) << msg;
  expect_in_no_file(token);
}

std::vector<Case> cases_of(const std::string& provider) {
  std::vector<Case> v;
  for (const Case& c : kCases)
    if (c.provider == provider) v.push_back(c);
  return v;
}

std::vector<Case> video_cases() {
  std::vector<Case> v;
  for (const Case& c : kCases)
    if (*c.video_model) v.push_back(c);
  return v;
}

INSTANTIATE_TEST_SUITE_P(EveryAdapter, Providers, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.provider); });
INSTANTIATE_TEST_SUITE_P(Kling, ProvidersKling, ::testing::ValuesIn(cases_of("kling")),
                         [](const auto& info) { return std::string(info.param.provider); });
INSTANTIATE_TEST_SUITE_P(DashScope, ProvidersDashScope, ::testing::ValuesIn(cases_of("dashscope")),
                         [](const auto& info) { return std::string(info.param.provider); });
INSTANTIATE_TEST_SUITE_P(Firefly, ProvidersFirefly, ::testing::ValuesIn(cases_of("firefly")),
                         [](const auto& info) { return std::string(info.param.provider); });
INSTANTIATE_TEST_SUITE_P(Veo, ProvidersVeo, ::testing::ValuesIn(cases_of("veo")),
                         [](const auto& info) { return std::string(info.param.provider); });
INSTANTIATE_TEST_SUITE_P(VideoAdapters, ProvidersVideo, ::testing::ValuesIn(video_cases()),
                         [](const auto& info) { return std::string(info.param.provider); });

}  // namespace
}  // namespace reel
