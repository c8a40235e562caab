#pragma once
// The task interfaces a model implements, with their typed requests and results.
// A model class implements one or more of these (plus Model::card()).
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
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

// Calls in flight at a hosted provider, keyed by the step's cache key. A model writes its
// provider task id here before it waits, so when reel is killed mid-wait the next run of
// the same step resumes that task instead of paying for a new one; it removes the record
// once the result is stored. Records are small JSON objects owned by the model.
class PendingCalls {
 public:
  virtual ~PendingCalls() = default;
  virtual std::optional<Json> find_pending(const std::string& call_key) const = 0;
  virtual void put_pending(const std::string& call_key, const Json& record) = 0;
  virtual void remove_pending(const std::string& call_key) = 0;
};

// Handed to every model call: progress reporting and cancellation.
struct RunContext {
  CancelToken cancel;
  // The step's cache key (hex) and where pending calls are kept; set by the executor,
  // empty / null when a model is called directly (then nothing can be resumed).
  std::string call_key;
  PendingCalls* pending = nullptr;
  // fraction in [0,1]; message optional ("frame 12/120").
  std::function<void(double fraction, std::string_view message)> on_progress;
  std::string device = "cpu";

  void progress(double fraction, std::string_view message = {}) const {
    if (on_progress) on_progress(fraction, message);
  }
  void check_cancelled() const { cancel.check(); }
};

// The Content Credentials (a C2PA manifest store) that the file a model returned already
// carried — a hosted provider that signs its outputs. reel decodes and re-encodes that
// file, so its own manifest names it as the parent ingredient and carries this store
// (docs/provenance.md, "A provider's own credentials").
struct SourceCredentials {
  std::string title;   // e.g. "openai:gpt-image-1 output"
  std::string format;  // the provider file's type: "image/png", "video/mp4"
  std::string sha256;  // hex digest of the provider's file (the ingredient's instanceID)
  std::string store;   // the JUMBF manifest store, byte for byte
  // The store's validation when the file arrived (C2PA status codes; failures among them).
  std::vector<std::string> status_codes, failures;
};

// A still with what later steps may need to know about it.
struct ImageResult {
  media::Image image;                 // RGBA8, straight alpha
  std::optional<media::Plane> depth;  // same size; distance from camera, larger = farther
  std::optional<Rig> rig;             // for characters
  std::optional<Light> light;         // for environments: the key light
  std::vector<std::string> notes;     // e.g. "unrecognised words: ..." (never silent)
  Json metadata = Json::object();     // model-specific facts (archetype, scene, ...)
  // What a hosted provider says it charged for this call, when it says so; the ledger
  // records it beside the price rule's figure.
  std::optional<double> billed_usd;
  std::optional<SourceCredentials> source_credentials;
};

struct VideoResult {
  media::Video video;
  std::vector<std::string> notes;
  Json metadata = Json::object();
  std::optional<double> billed_usd;  // as ImageResult::billed_usd
  std::optional<SourceCredentials> source_credentials;
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

// An image's or a frame's size in pixels; {0, 0} when it cannot be known before running.
struct Size {
  int width = 0;
  int height = 0;
  bool known() const { return width > 0 && height > 0; }
};

// What the planner knows of a call before it runs: the size as asked (0 = the model's
// default), the clip timing (videos), the model-specific params ("extra"), the sizes of
// its image inputs where they are known before running, and the planner's own reckoning
// of the output in megapixels (width x height x frames / 1e6, with the pipeline's
// defaults for what was not asked).
struct PlannedCall {
  Task task = Task::text_to_image;
  std::string prompt;  // the prompt, or the motion prompt of image_to_video
  std::string negative_prompt;
  int width = 0;
  int height = 0;
  double duration_seconds = 0;
  double fps = 0;
  Json params = Json::object();
  double megapixels = 0;
  std::string style;                        // text_to_image: the style as given
  std::map<std::string, Size> input_sizes;  // image input slot -> size, where known
};

// Where a model's estimate comes from, said beside every planned figure so nobody takes a
// guess for a measurement.
enum class EstimateSource {
  measured,    // the card's profile, measured by reel's developers (`measured_on` says where)
  calibrated,  // measured on this machine (`reel calibrate`)
  published,   // derived from the publisher's timing, on the publisher's hardware
  price_rule,  // a paid call: the provider's price rule; its seconds are typical waiting
};
std::string_view to_string(EstimateSource s);

class Model {
 public:
  virtual ~Model() = default;
  // Cheap and free of I/O: the card is computed when the model is built and again only
  // by refresh(). A reference stays valid for the model's lifetime, across refreshes.
  virtual const ModelCard& card() const = 0;
  // Re-reads what the card depends on outside the process (weights on disk, a
  // calibration, a provider key) and updates it. Called explicitly: by the executor once
  // per run for the models it uses, and by listings (`reel models`, GET /v1/models).
  virtual void refresh() {}
  // Seconds the call is expected to take on the card's first device; budgets reserve
  // this. By default the card's linear profile over the planner's megapixels. A model
  // whose cost depends on its params (sampling steps) or on defaults of its own (its
  // native size and frame count) overrides it, so estimates follow what will run.
  virtual double estimate_seconds(const PlannedCall& call) const {
    const CostProfile& c = card().cost;
    return c.setup_seconds + c.seconds_per_megapixel * call.megapixels;
  }
  // Dollars a paid call is expected to cost (the card's price rule applied to the call);
  // nullopt for models priced by machine time, and for unpriced ones.
  virtual std::optional<double> estimate_usd(const PlannedCall& call) const { return std::nullopt; }
  virtual EstimateSource estimate_source() const {
    return card().price.paid() ? EstimateSource::price_rule : EstimateSource::measured;
  }
  // The pre-flight check: refuses, before anything runs, a call this model would refuse
  // when it runs — its size and frame rules, its `extra` keys (call.params) and their
  // values — by the same functions its task methods use, so the two cannot disagree.
  // Throws Error(InvalidInput, ...) naming what is allowed. The executor calls it for
  // every step of a graph (plans and runs alike) after the pipeline's own checks, which
  // already bound sizes, frames and prompts for every model.
  virtual void check(const PlannedCall& call) const {}
  // The size this call will make once the model fills in its own defaults (a style word,
  // a native size, an input's size): what limits are checked against, so leaving a size
  // out cannot get more than asking for it. By default the size as asked; {0, 0} when it
  // cannot be known before running (a provider that picks its own).
  virtual Size output_size(const PlannedCall& call) const { return {call.width, call.height}; }
};

// Refuses `extra` keys a model does not read: "<model>: unknown extra key 'k'; allowed:
// a, b" (or "takes no extra settings"). For models whose extra settings are a fixed list.
void check_extra_keys(const std::string& model_id, const Json& extra,
                      const std::vector<std::string>& allowed);

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

// How a started call ends: the result, or the error the blocking call would have thrown.
template <class Result>
using Completion = std::function<void(std::exception_ptr error, Result result)>;

// A model whose calls mostly wait on something outside this process (a hosted provider)
// may also start a call and report its end, so a caller running many at once (the
// executor) needs no thread per call while they wait. A start throws at once for what is
// refused before any request (bad values, a missing key); otherwise `done` is called
// exactly once, on a thread of the model's own, never from inside the start. `ctx` must
// stay alive, and `done` callable, until then. The blocking task methods stay the way
// direct callers (the SDK) use the model.
class AsyncCalls : public virtual Model {
 public:
  // Whether calls of `task` can start this way (a provider whose one request is the
  // whole wait cannot: such a call is made on a caller's thread).
  virtual bool starts_async(Task task) const = 0;
  virtual void start_generate(const TextToImageRequest& request, RunContext& ctx,
                              Completion<ImageResult> done) = 0;
  virtual void start_animate(const ImageToVideoRequest& request, RunContext& ctx,
                             Completion<VideoResult> done) = 0;
  virtual void start_generate_video(const TextToVideoRequest& request, RunContext& ctx,
                                    Completion<VideoResult> done) = 0;
};

}  // namespace reel::model
