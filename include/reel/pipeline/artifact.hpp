#pragma once
// An artifact is a step's output, addressed by its cache key: the hash of what
// made it (model id + version, canonical params, input artifact keys, seed).
#include <filesystem>
#include <memory>

#include "reel/core/hash.hpp"
#include "reel/model/tasks.hpp"

namespace reel::pipeline {

struct Artifact {
  Hash128 key;
  model::ValueType type = model::ValueType::image;
  // Exactly one of these is set, matching `type`. Shared and immutable: many steps
  // and callers may hold the same artifact.
  std::shared_ptr<const model::ImageResult> image;
  std::shared_ptr<const model::VideoResult> video;
  // For images: the stored PNG; for videos: the stored MP4. Empty until stored.
  std::filesystem::path file;
  // Known without decoding (from the store's metadata).
  int width = 0;
  int height = 0;
  int frame_count = 0;          // videos
  double duration_seconds = 0;  // videos
};

}  // namespace reel::pipeline
