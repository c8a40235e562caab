// validate(): every rule a pipeline must satisfy before anything runs.
#include "reel/pipeline/graph.hpp"

#include <gtest/gtest.h>

#include <initializer_list>

#include "reel/core/error.hpp"
#include "support/test_models.hpp"

namespace reel::pipeline {
namespace {

using model::Task;

// A model that only has a card: validation never runs models.
class CardModel : public model::Model {
 public:
  CardModel(std::string id, std::vector<Task> tasks, std::string licence = "MIT") {
    card_.id = std::move(id);
    card_.version = "1";
    card_.tasks = std::move(tasks);
    card_.licence = std::move(licence);
  }
  const model::ModelCard& card() const override { return card_; }

 private:
  model::ModelCard card_;
};

Step make_step(std::string id, Task task, std::string model,
               std::map<std::string, std::string> inputs = {}, Json params = Json::object()) {
  Step s;
  s.id = std::move(id);
  s.task = task;
  s.model = std::move(model);
  s.inputs = std::move(inputs);
  s.params = std::move(params);
  return s;
}

class GraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.add(testing::make_test_image_model({.id = "img"}));
    registry_.add(testing::make_test_video_model({.id = "vid"}));
    registry_.add(testing::make_test_composite_model({.id = "comp"}));
    registry_.add(std::make_shared<CardModel>("matte", std::vector<Task>{Task::matting}));
    registry_.add(std::make_shared<CardModel>(
        "big", std::vector<Task>{Task::upscale, Task::text_to_image}, "proprietary"));
    options_.registry = &registry_;
  }

  // The film is listed first so the order has to come from the inputs.
  Graph film() const {
    Graph g;
    g.name = "film";
    g.seed = 42;
    g.steps.push_back(make_step("film", Task::image_to_video, "vid",
                                {{"image", "character"}, {"background", "environment"}},
                                {{"motion", "turn"}, {"duration", 2}, {"fps", 12}}));
    g.steps.push_back(
        make_step("character", Task::text_to_image, "img", {}, {{"prompt", "astronaut"}}));
    g.steps.push_back(
        make_step("environment", Task::text_to_image, "img", {}, {{"prompt", "mars"}}));
    return g;
  }

  static std::vector<std::string> order_ids(const ValidatedGraph& v) {
    std::vector<std::string> ids;
    for (const auto& r : v.order) ids.push_back(r.step->id);
    return ids;
  }

  // Validates `g` and expects an error of `kind` whose message has every `part`.
  Error refuse(const Graph& g, ErrorKind kind, std::initializer_list<std::string> parts) {
    try {
      validate(g, options_);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.message();
      for (const auto& p : parts)
        EXPECT_NE(e.message().find(p), std::string::npos)
            << "'" << p << "' missing from: " << e.message();
      return e;
    }
    ADD_FAILURE() << "validate() accepted the graph";
    return Error(ErrorKind::Internal, "accepted");
  }

  // The film graph with one param of the film step replaced.
  Graph film_with(const std::string& step_id, const std::string& key, Json value) {
    Graph g = film();
    g.find(step_id)->params[key] = std::move(value);
    return g;
  }

  model::Registry registry_;
  ValidationOptions options_;
};

TEST_F(GraphTest, ValidThreeStepGraphPutsInputsFirstAndResolvesModels) {
  Graph g = film();
  ValidatedGraph v = validate(g, options_);
  EXPECT_EQ(v.graph, &g);
  EXPECT_EQ(order_ids(v), (std::vector<std::string>{"character", "environment", "film"}));
  ASSERT_EQ(v.order.size(), 3u);
  EXPECT_EQ(v.order[0].model->card().id, "img");
  EXPECT_EQ(v.order[2].model->card().id, "vid");
  EXPECT_EQ(v.order[2].step, &g.steps[0]);
}

TEST_F(GraphTest, OrderKeepsFileOrderAmongReadySteps) {
  Graph g;
  g.steps.push_back(
      make_step("c", Task::composite, "comp", {{"foreground", "b"}, {"background", "a"}}));
  for (const char* id : {"a", "b", "d"})
    g.steps.push_back(make_step(id, Task::text_to_image, "img", {}, {{"prompt", id}}));
  EXPECT_EQ(order_ids(validate(g, options_)), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST_F(GraphTest, CycleIsRefusedAndPrinted) {
  Graph g;
  g.steps.push_back(make_step("x", Task::text_to_image, "img", {}, {{"prompt", "x"}}));
  g.steps.push_back(
      make_step("a", Task::composite, "comp", {{"foreground", "b"}, {"background", "x"}}));
  g.steps.push_back(
      make_step("b", Task::composite, "comp", {{"foreground", "a"}, {"background", "x"}}));
  refuse(g, ErrorKind::InvalidInput, {"cycle", "a → b → a"});

  Graph self;
  self.steps.push_back(make_step("loop", Task::upscale, "big", {{"image", "loop"}}));
  refuse(self, ErrorKind::InvalidInput, {"cycle", "loop → loop"});
}

TEST_F(GraphTest, UnknownModelListsRegisteredModels) {
  Graph g = film();
  g.find("film")->model = "sora";
  refuse(g, ErrorKind::NotFound, {"step 'film'", "'sora'", "img", "vid", "comp", "matte", "big"});
}

TEST_F(GraphTest, ModelThatDoesNotDoTheTaskIsRefused) {
  Graph g = film();
  g.find("character")->model = "vid";
  refuse(g, ErrorKind::InvalidInput,
         {"step 'character'", "does not do task text_to_image", "image_to_video", "img", "big"});
}

TEST_F(GraphTest, VideoIntoAnImageSlotIsATypeMismatch) {
  Graph g = film();
  g.steps.push_back(make_step("sequel", Task::image_to_video, "vid", {{"image", "film"}}));
  refuse(g, ErrorKind::InvalidInput, {"step 'sequel'", "expects an image", "'film'", "a video"});
}

TEST_F(GraphTest, MissingRequiredInputIsNamed) {
  Graph g = film();
  g.find("film")->inputs.erase("image");
  refuse(g, ErrorKind::InvalidInput, {"step 'film'", "input 'image'", "required"});
  // The background is optional.
  Graph ok = film();
  ok.find("film")->inputs.erase("background");
  EXPECT_NO_THROW(validate(ok, options_));
}

TEST_F(GraphTest, UnknownSlotAndUnknownStepAreNamed) {
  Graph g = film();
  g.find("film")->inputs["picture"] = "character";
  refuse(g, ErrorKind::InvalidInput, {"step 'film'", "'picture'", "allowed: image, background"});

  Graph text = film();
  text.find("character")->inputs["image"] = "environment";
  refuse(text, ErrorKind::InvalidInput, {"step 'character'", "takes no inputs"});

  Graph missing = film();
  missing.find("film")->inputs["image"] = "charcter";
  refuse(missing, ErrorKind::InvalidInput,
         {"step 'film'", "unknown step 'charcter'", "character, environment"});
}

TEST_F(GraphTest, ArtifactAndFileReferences) {
  Graph g = film();
  g.find("film")->inputs["image"] = "artifact:0123456789abcdef0123456789abcdef";
  g.find("film")->inputs["background"] = "file:mars.png";
  ValidatedGraph v = validate(g, options_);
  // With no edges left, the file order stands.
  EXPECT_EQ(order_ids(v), (std::vector<std::string>{"film", "character", "environment"}));

  for (std::string bad : {"artifact:xyz", "artifact:0123456789ABCDEF0123456789ABCDEF",
                          "artifact:0123456789abcdef0123456789abcde"}) {
    g.find("film")->inputs["image"] = bad;
    refuse(g, ErrorKind::InvalidInput, {"step 'film'", "32 hex"});
  }
  g.find("film")->inputs["image"] = "file:";
  refuse(g, ErrorKind::InvalidInput, {"step 'film'", "file:<path>"});
}

TEST_F(GraphTest, StepIdsMustBeWellFormedAndUnique) {
  Graph dup = film();
  dup.steps.push_back(dup.steps[1]);
  refuse(dup, ErrorKind::InvalidInput, {"'character'", "twice", "unique"});

  for (std::string bad :
       std::vector<std::string>{"Film", "film!", "", "a b", std::string(65, 'a')}) {
    Graph g = film();
    g.steps[1].id = bad;
    refuse(g, ErrorKind::InvalidInput, {"a-z, 0-9", "1..64"});
  }
  Graph longest = film();
  longest.steps[0].id = std::string(64, 'f');
  longest.output = longest.steps[0].id;
  EXPECT_NO_THROW(validate(longest, options_));
}

TEST_F(GraphTest, StepCountAndOutputAreChecked) {
  refuse(Graph{}, ErrorKind::InvalidInput, {"no steps", "1..256"});

  Graph many;
  for (int i = 0; i < 257; ++i)
    many.steps.push_back(
        make_step("s" + std::to_string(i), Task::text_to_image, "img", {}, {{"prompt", "p"}}));
  refuse(many, ErrorKind::InvalidInput, {"257 steps", "at most 256"});
  many.steps.pop_back();
  EXPECT_EQ(validate(many, options_).order.size(), 256u);

  Graph g = film();
  g.output = "trailer";
  refuse(g, ErrorKind::InvalidInput, {"output 'trailer'", "film, character, environment"});
}

TEST_F(GraphTest, SizesOutsideTheLimitsNameTheAllowedRange) {
  refuse(film_with("character", "width", 0), ErrorKind::InvalidInput,
         {"step 'character'", "16..7680"});
  Graph zero = film();
  zero.find("character")->params["width"] = 0;
  zero.find("character")->params["height"] = 0;
  refuse(zero, ErrorKind::InvalidInput, {"step 'character'", "0x0", "16..7680"});
  Graph huge = film();
  huge.find("film")->params["width"] = 100000;
  huge.find("film")->params["height"] = 100000;
  refuse(huge, ErrorKind::InvalidInput, {"step 'film'", "100000x100000", "16..7680"});
  refuse(film_with("film", "height", 1ull << 40), ErrorKind::InvalidInput,
         {"step 'film'", "1099511627776", "16..7680"});
  refuse(film_with("film", "width", 1280.5), ErrorKind::InvalidInput,
         {"step 'film'", "'width'", "integer"});
  Graph ok = film();
  ok.find("film")->params["width"] = 1280;
  ok.find("film")->params["height"] = 720;
  EXPECT_NO_THROW(validate(ok, options_));
}

TEST_F(GraphTest, HugePromptIsRefusedWithTheLimitAndNotEchoed) {
  Error e = refuse(film_with("character", "prompt", std::string(10 << 20, 'a')),
                   ErrorKind::InvalidInput, {"step 'character'", "10485760", "at most 4000"});
  EXPECT_LT(e.message().size(), 500u);
  refuse(film_with("film", "motion", std::string(5000, 'm')), ErrorKind::InvalidInput,
         {"step 'film'", "motion", "at most 4000"});
  options_.limits.max_prompt_chars = 5;
  refuse(film(), ErrorKind::InvalidInput, {"step 'character'", "at most 5"});
}

TEST_F(GraphTest, PromptIsRequiredForTextTasks) {
  Graph g = film();
  g.find("environment")->params.erase("prompt");
  refuse(g, ErrorKind::InvalidInput, {"step 'environment'", "'prompt' is required"});
  refuse(film_with("environment", "prompt", "   "), ErrorKind::InvalidInput,
         {"step 'environment'", "empty"});
  refuse(film_with("environment", "prompt", 5), ErrorKind::InvalidInput,
         {"step 'environment'", "'prompt' must be a string"});
}

TEST_F(GraphTest, FpsAndDurationLimits) {
  refuse(film_with("film", "fps", 0), ErrorKind::InvalidInput, {"step 'film'", "fps 0", "1..120"});
  refuse(film_with("film", "fps", 240), ErrorKind::InvalidInput, {"step 'film'", "1..120"});
  refuse(film_with("film", "duration", -1), ErrorKind::InvalidInput,
         {"step 'film'", "duration -1", "0.04..120"});
  refuse(film_with("film", "duration", 7200), ErrorKind::InvalidInput,
         {"step 'film'", "7200", "0.04..120"});
  refuse(film_with("film", "duration", "5s"), ErrorKind::InvalidInput,
         {"step 'film'", "'duration'", "number"});
  // 100 s at 120 fps is within the duration limit but past the frame limit.
  Graph frames = film();
  frames.find("film")->params["duration"] = 100;
  frames.find("film")->params["fps"] = 120;
  refuse(frames, ErrorKind::InvalidInput, {"step 'film'", "12000 frames", "4800"});
  // The same duration at the default 24 fps fits (2400 frames).
  frames.find("film")->params.erase("fps");
  EXPECT_NO_THROW(validate(frames, options_));
}

TEST_F(GraphTest, EncoderParams) {
  refuse(film_with("film", "crf", 60), ErrorKind::InvalidInput, {"step 'film'", "crf", "0..51"});
  refuse(film_with("film", "crf", 18.5), ErrorKind::InvalidInput, {"step 'film'", "integer"});
  refuse(film_with("film", "preset", "turbo"), ErrorKind::InvalidInput,
         {"step 'film'", "'turbo'", "ultrafast", "veryslow"});
  Graph ok = film_with("film", "crf", 0);
  ok.find("film")->params["preset"] = "veryfast";
  EXPECT_NO_THROW(validate(ok, options_));
}

TEST_F(GraphTest, UnknownParamListsTheAllowedOnes) {
  refuse(film_with("film", "motoin", "turn"), ErrorKind::InvalidInput,
         {"step 'film'", "unknown param 'motoin'", "image_to_video",
          "motion, duration, fps, width, height, crf, preset, extra"});
  // "extra" is for model-specific settings and must be a mapping.
  EXPECT_NO_THROW(validate(film_with("film", "extra", {{"anything", 1}}), options_));
  refuse(film_with("film", "extra", 3), ErrorKind::InvalidInput, {"step 'film'", "'extra'"});
  Graph null_params = film();
  null_params.find("film")->params = nullptr;
  EXPECT_NO_THROW(validate(null_params, options_));
  null_params.find("film")->params = Json::array({1});
  refuse(null_params, ErrorKind::InvalidInput, {"step 'film'", "params must be a mapping"});
}

TEST_F(GraphTest, CompositeAndUpscaleParams) {
  Graph g = film();
  g.steps.push_back(make_step("scene", Task::composite, "comp",
                              {{"foreground", "character"}, {"background", "environment"}},
                              {{"x", 0.5}, {"y", 1}, {"scale", 0.8}}));
  g.steps.push_back(make_step("cutout", Task::matting, "matte", {{"image", "scene"}}));
  g.steps.push_back(make_step("big", Task::upscale, "big", {{"image", "cutout"}}, {{"scale", 2}}));
  g.find("film")->inputs["image"] = "big";
  EXPECT_EQ(
      order_ids(validate(g, options_)),
      (std::vector<std::string>{"character", "environment", "scene", "cutout", "big", "film"}));

  g.find("scene")->params["x"] = 1.5;
  refuse(g, ErrorKind::InvalidInput, {"step 'scene'", "x 1.5", "0..1"});
  g.find("scene")->params["x"] = 0;
  g.find("big")->params["scale"] = 100;
  refuse(g, ErrorKind::InvalidInput, {"step 'big'", "scale 100", "1..8"});
}

TEST_F(GraphTest, PolicyRefusalIsAPolicyError) {
  options_.policy = [](const model::ModelCard& c) {
    return c.licence == "proprietary" ? "licence '" + c.licence + "' is not commercial-safe"
                                      : std::string();
  };
  Graph g = film();
  g.find("character")->model = "big";
  refuse(g, ErrorKind::Policy,
         {"step 'character': model 'big' refused: licence 'proprietary' is not commercial-safe"});
}

TEST_F(GraphTest, AutoPicksARegisteredModelUnderThePolicy) {
  Graph g;
  g.steps.push_back(make_step("up", Task::upscale, "auto", {{"image", "file:x.png"}}));
  g.steps.push_back(make_step("still", Task::text_to_image, "auto", {}, {{"prompt", "p"}}));
  ValidatedGraph v = validate(g, options_);
  EXPECT_EQ(v.order[0].model->card().id, "big");
  EXPECT_EQ(v.order[1].model->card().id, "img");  // the first registered that can

  // "big" is the only upscaler; refusing it makes "auto" a policy refusal.
  options_.policy = [](const model::ModelCard& c) {
    return c.id == "img" ? std::string("not allowed in this test") : std::string();
  };
  EXPECT_EQ(validate(g, options_).order[1].model->card().id, "big");
  options_.policy = [](const model::ModelCard& c) {
    return c.id == "big" ? std::string("not allowed in this test") : std::string();
  };
  refuse(g, ErrorKind::Policy, {"step 'up'", "auto", "not allowed in this test"});

  Graph none;
  none.steps.push_back(make_step("v", Task::text_to_video, "auto", {}, {{"prompt", "p"}}));
  refuse(none, ErrorKind::NotFound, {"step 'v'", "text_to_video"});
}

TEST_F(GraphTest, TaskSpecsDescribeEveryTask) {
  const TaskSpec& i2v = task_spec(Task::image_to_video);
  ASSERT_EQ(i2v.slots.size(), 2u);
  EXPECT_EQ(i2v.slots[0].name, "image");
  EXPECT_TRUE(i2v.slots[0].required);
  EXPECT_FALSE(i2v.slots[1].required);
  EXPECT_TRUE(task_spec(Task::text_to_image).slots.empty());
  EXPECT_TRUE(task_spec(Task::text_to_video).slots.empty());
  EXPECT_EQ(task_spec(Task::composite).slots.size(), 2u);
  for (Task t : {Task::matting, Task::upscale}) {
    ASSERT_EQ(task_spec(t).slots.size(), 1u);
    EXPECT_EQ(task_spec(t).slots[0].type, model::ValueType::image);
  }
}

TEST_F(GraphTest, GraphHelpers) {
  Graph g = film();
  EXPECT_EQ(g.output_step(), "environment");  // default: the last step
  g.output = "film";
  EXPECT_EQ(g.output_step(), "film");
  EXPECT_EQ(g.find("character"), &g.steps[1]);
  EXPECT_EQ(g.find("nobody"), nullptr);
  g.find("film")->seed = 7;

  Json j = g.to_json();
  EXPECT_EQ(j["reel"], 1);
  EXPECT_EQ(j["seed"], 42);
  EXPECT_EQ(j["output"], "film");
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][0]["task"], "image_to_video");
  EXPECT_EQ(j["steps"][0]["inputs"]["background"], "environment");
  EXPECT_EQ(j["steps"][0]["seed"], 7);
  EXPECT_FALSE(j["steps"][1].contains("seed"));
  EXPECT_EQ(j["steps"][1]["params"]["prompt"], "astronaut");
}

}  // namespace
}  // namespace reel::pipeline
