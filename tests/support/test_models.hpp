#pragma once
// Small deterministic models for unit tests (never part of the product). Each call
// is counted so tests can assert what executed; a delay lets tests observe overlap.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "reel/model/registry.hpp"

namespace reel::testing {

struct CallLog {
  std::atomic<int> calls{0};
  std::atomic<int> running{0};
  std::atomic<int> peak_running{0};
};

struct TestModelOptions {
  std::string id;
  std::string licence = "Apache-2.0";
  model::TrainingData training_data = model::TrainingData::synthetic;
  std::chrono::milliseconds delay{0};
  bool fail = false;  // throws InvalidInput("test model asked to fail") when run
  std::shared_ptr<CallLog> log = std::make_shared<CallLog>();
};

// TextToImage: a solid image whose colour derives from (prompt, seed); size from
// request or 64x48. Reads params.extra.fail_after_progress to fail mid-run.
std::shared_ptr<model::Model> make_test_image_model(TestModelOptions options);
// ImageToVideo: frames fade the input image by frame index; fps/duration honoured.
std::shared_ptr<model::Model> make_test_video_model(TestModelOptions options);
// Composite: foreground alpha-over background.
std::shared_ptr<model::Model> make_test_composite_model(TestModelOptions options);

}  // namespace reel::testing
