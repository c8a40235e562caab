#pragma once
// What the seed-shaped APIs return: a still or a clip, backed by an artifact in
// the store, with the cost of everything that went into it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "reel/pipeline/executor.hpp"

namespace reel::sdk {

class Session;

// Steps that made a result, in order (ingredients first), for cost and provenance.
struct Lineage {
  std::vector<pipeline::StepCost> steps;
  std::vector<std::string> models;  // model ids in step order
  Json params = Json::object();     // step id → params
};

class StillImage {
 public:
  StillImage() = default;
  StillImage(pipeline::Artifact artifact, Lineage lineage, std::vector<std::string> notes);

  // A user's own picture (PNG/JPEG file or pixels), imported into the store so it
  // can be passed to animate_from_image. Throws InvalidInput for non-images.
  static StillImage from_file(const std::filesystem::path& path, Session& session);
  static StillImage from_image(const media::Image& image, Session& session);

  int width() const;
  int height() const;
  const media::Image& image() const;
  const pipeline::Artifact& artifact() const { return artifact_; }
  const Lineage& lineage() const { return lineage_; }
  const std::vector<std::string>& notes() const { return notes_; }
  bool empty() const { return !artifact_.image; }

  // Writes a PNG (signed with Content Credentials unless the session says not).
  void save(const std::filesystem::path& path, Session& session) const;
  void save(const std::filesystem::path& path) const;

 private:
  pipeline::Artifact artifact_;
  Lineage lineage_;
  std::vector<std::string> notes_;
};

class VideoClip {
 public:
  VideoClip() = default;
  VideoClip(pipeline::Artifact artifact, Lineage lineage, std::vector<std::string> notes,
            pipeline::CostReport cost, std::vector<StillImage> ingredients = {});

  int width() const { return artifact_.width; }
  int height() const { return artifact_.height; }
  double fps() const;
  int frame_count() const { return artifact_.frame_count; }
  double duration_seconds() const { return artifact_.duration_seconds; }
  const pipeline::Artifact& artifact() const { return artifact_; }
  const std::vector<std::string>& notes() const { return notes_; }
  const std::vector<StillImage>& ingredients() const { return ingredients_; }
  // Cost of the whole lineage (stills included; cached ones at $0 with savings).
  const pipeline::CostReport& cost() const { return cost_; }
  // Decoded frames (RGBA8), decoded from the stored MP4 on first use.
  const media::Video& frames() const;

  // Writes the MP4 (no re-encode: the stored file is copied), `<stem>.cost.json`
  // beside it, and signs it unless the session says not. Returns the cost path.
  std::filesystem::path save(const std::filesystem::path& path, Session& session) const;
  std::filesystem::path save(const std::filesystem::path& path) const;
  // A PNG grid of frames for judging the clip at a glance.
  void save_contact_sheet(const std::filesystem::path& path, int columns = 4, int rows = 3) const;

 private:
  pipeline::Artifact artifact_;
  Lineage lineage_;
  std::vector<std::string> notes_;
  pipeline::CostReport cost_;
  std::vector<StillImage> ingredients_;  // the stills it was made from
  mutable std::shared_ptr<media::Video> frames_;
};

// Where the cost report of a clip saved at `video_path` goes: x.mp4 → x.cost.json.
std::filesystem::path cost_path_for(const std::filesystem::path& video_path);

}  // namespace reel::sdk

namespace reel::sdk {

// What a pipeline run produced, as SDK results (for the CLI and the Python module):
// the output step's still or clip, with the stills feeding it as ingredients.
struct RunOutput {
  std::optional<StillImage> still;
  std::optional<VideoClip> video;
};
RunOutput output_of(const pipeline::RunResult& result, const pipeline::Graph& graph,
                    Session& session);

}  // namespace reel::sdk
