#pragma once
// The task interfaces a model implements, with their typed requests and results.
// A model class implements one or more of these (plus Model::card()).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/core/cancel.hpp"
#include "reel/core/json.hpp"
#include "reel/media/image.hpp"
#include "reel/media/video.hpp"
#include "reel/model/model_card.hpp"
#include "reel/model/scene.hpp"

namespace reel::model {

// Handed to every model call: progress reporting and cancellation.
struct RunContext {
  CancelToken cancel;
  // fraction in [0,1]; message optional ("frame 12/120").
  std::function<void(double fraction, std::string_view message)> on_progress;
  std::string device = "cpu";

  void progress(double fraction, std::string_view message = {}) const {
    if (on_progress) on_progress(fraction, message);
  }
  void check_cancelled() const { cancel.check(); }
};

// A still with what later steps may need to know about it.
struct ImageResult {
  media::Image image;                 // RGBA8, straight alpha
  std::optional<media::Plane> depth;  // same size; distance from camera, larger = farther
  std::optional<Rig> rig;             // for characters
  std::optional<Light> light;         // for environments: the key light
  std::vector<std::string> notes;     // e.g. "unrecognised words: ..." (never silent)
  Json metadata = Json::object();     // model-specific facts (archetype, scene, ...)
};

struct VideoResult {
  media::Video video;
  std::vector<std::string> notes;
  Json metadata = Json::object();
};

struct TextToImageRequest {
  std::string prompt;
  std::string negative_prompt;
  int width = 0;  // 0 = the model's default (or what `style` implies)
  int height = 0;
  std::string style;  // e.g. "4k", "photorealistic"
  std::uint64_t seed = 0;
  Json params = Json::object();  // model-specific extras
};

struct ImageToVideoRequest {
  ImageResult image;                      // the still to animate (e.g. a character)
  std::optional<ImageResult> background;  // composited behind it when given
  std::string motion;                     // motion prompt
  double duration_seconds = 5.0;
  double fps = 24.0;
  int width = 0;  // 0 = from the background, else the image
  int height = 0;
  std::uint64_t seed = 0;
  Json params = Json::object();
};

struct TextToVideoRequest {
  std::string prompt;
  std::string negative_prompt;
  double duration_seconds = 5.0;
  double fps = 24.0;
  int width = 0;
  int height = 0;
  std::uint64_t seed = 0;
  Json params = Json::object();
};

struct CompositeRequest {
  ImageResult foreground;
  ImageResult background;
  Json params = Json::object();  // placement: "x", "y" (0..1 of the frame), "scale"
};

struct MattingRequest {
  ImageResult image;
  Json params = Json::object();
};

// What the planner knows of a call before it runs: the size as asked (0 = the model's
// default), the clip timing (videos), the model-specific params ("extra"), and the
// planner's own reckoning of the output in megapixels (width x height x frames / 1e6,
// with the pipeline's defaults for what was not asked).
struct PlannedCall {
  Task task = Task::text_to_image;
  int width = 0;
  int height = 0;
  double duration_seconds = 0;
  double fps = 0;
  Json params = Json::object();
  double megapixels = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelCard& card() const = 0;
  // Seconds the call is expected to take on the card's first device; budgets reserve
  // this. By default the card's linear profile over the planner's megapixels. A model
  // whose cost depends on its params (sampling steps) or on defaults of its own (its
  // native size and frame count) overrides it, so estimates follow what will run.
  virtual double estimate_seconds(const PlannedCall& call) const {
    const CostProfile& c = card().cost;
    return c.setup_seconds + c.seconds_per_megapixel * call.megapixels;
  }
};

class TextToImage : public virtual Model {
 public:
  virtual ImageResult generate(const TextToImageRequest& request, RunContext& ctx) = 0;
};

class ImageToVideo : public virtual Model {
 public:
  virtual VideoResult animate(const ImageToVideoRequest& request, RunContext& ctx) = 0;
};

class TextToVideo : public virtual Model {
 public:
  virtual VideoResult generate_video(const TextToVideoRequest& request, RunContext& ctx) = 0;
};

class Composite : public virtual Model {
 public:
  virtual ImageResult composite(const CompositeRequest& request, RunContext& ctx) = 0;
};

class Matting : public virtual Model {
 public:
  virtual ImageResult matte(const MattingRequest& request, RunContext& ctx) = 0;
};

}  // namespace reel::model
