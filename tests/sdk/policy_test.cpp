// The licence policy at the SDK edge: a run is refused before any compute when a
// model's declarations do not qualify; the studio pipeline passes.
#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "reel/pipeline/pipeline_file.hpp"
#include "reel/sdk/api.hpp"
#include "support/test_dirs.hpp"
#include "support/test_models.hpp"

namespace reel {
namespace {

TEST(Policy, CommercialSafeRefusesUndisclosedTrainingDataBeforeAnyCompute) {
  testing::TempDir dir;
  sdk::SessionOptions o;
  o.store_root = dir / "store";
  o.sign = false;
  o.policy = "commercial-safe";
  Session session(o);
  auto log = std::make_shared<testing::CallLog>();
  // A test double standing in for an open-weight model whose publisher does not
  // disclose its training data.
  session.registry().add(testing::make_test_image_model(
      {.id = "undisclosed-t2i", .training_data = model::TrainingData::undisclosed, .log = log}));
  pipeline::Graph g;
  g.steps.push_back(
      {"bg", model::Task::text_to_image, "undisclosed-t2i", {}, {{"prompt", "mars"}}, {}});
  g.steps.push_back({"character",
                     model::Task::text_to_image,
                     "studio-character",
                     {},
                     {{"prompt", "astronaut"}, {"width", 64}, {"height", 64}},
                     {}});
  try {
    session.run(g);
    FAIL() << "expected a policy refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Policy) << e.what();
    EXPECT_NE(std::string(e.what()).find("undisclosed-t2i"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("undisclosed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(log->calls.load(), 0);              // nothing ran
  EXPECT_TRUE(session.store().list().empty());  // nothing was spent or stored

  // The studio pipeline (synthetic, Apache-2.0) goes through under the same policy.
  pipeline::Graph studio =
      pipeline::load_pipeline(REEL_SOURCE_DIR "/examples/astronaut_on_mars.yaml");
  EXPECT_NO_THROW(session.plan(studio));
  g.steps.erase(g.steps.begin());
  EXPECT_EQ(session.run(g).executed, 1);
}

TEST(Policy, UnknownPolicyNameIsAClearError) {
  testing::TempDir dir;
  sdk::SessionOptions o;
  o.store_root = dir / "store";
  o.policy = "no-such-policy";
  Session session(o);
  EXPECT_THROW(session.run_options(), Error);
}

}  // namespace
}  // namespace reel
