// A `provider:model` id as a registry model: maps the task request onto a CallInput,
// runs it through the shared engine — on the caller's thread (the task methods) or on the
// call scheduler's (AsyncCalls, for the executor) — and decodes the file it returns: a
// file reel cannot decode fails the step, so nothing is stored.
#include "providers/hosted_model.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <type_traits>

#include "providers/call_engine.hpp"
#include "providers/call_scheduler.hpp"
#include "reel/core/base64.hpp"
#include "reel/core/error.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/png.hpp"
#include "reel/model/limits.hpp"
#include "reel/provenance/provenance.hpp"
#include "reel/studio/animator.hpp"

namespace reel::providers {
namespace {
namespace fs = std::filesystem;

media::Image decode_image(const std::string& bytes, const std::string& id) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  std::span<const std::uint8_t> span(p, bytes.size());
  if (bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0)
    return media::decode_png(span, id + " result");
  if (bytes.size() > 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8)
    return media::decode_jpeg(span, id + " result");
  throw Error(ErrorKind::InvalidInput,
              id + " returned a file that is neither PNG nor JPEG (" +
                  std::to_string(bytes.size()) +
                  " bytes); nothing was stored. Ask the provider for PNG or JPEG (e.g. "
                  "params.provider_input.output_format)");
}

// Decoded through a private temp file (FFmpeg reads files); removed on every exit.
media::Video decode_video(const std::string& bytes, const std::string& id) {
  std::string tmpl = (fs::temp_directory_path() / "reel-hosted-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw Error(ErrorKind::Io, "cannot create a temp file for " + id + "'s result");
  struct Remove {
    std::string path;
    ~Remove() { ::unlink(path.c_str()); }
  } remove{tmpl};
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  ::close(fd);
  if (!ok) throw Error(ErrorKind::Io, "cannot write " + id + "'s result to a temp file");
  try {
    media::DecodeLimits limits;
    limits.max_frames = 10'000;
    limits.max_total_pixels = 1ull << 33;
    media::Video v = media::read_mp4(tmpl, limits);
    if (v.frames.empty()) throw Error(ErrorKind::InvalidInput, "no frames");
    return v;
  } catch (const Error& e) {
    throw Error(ErrorKind::InvalidInput, id + " returned a file reel cannot read as a video (" +
                                             std::string(e.what()) + "); nothing was stored");
  }
}

class HostedModel final : public model::TextToImage,
                          public model::ImageToVideo,
                          public model::TextToVideo,
                          public model::AsyncCalls {
 public:
  HostedModel(const Provider& p, std::string name, const ModelRow* row, ProviderOptions o)
      : provider_(p), model_(std::move(name)), row_(row), options_(std::move(o)) {
    card_ = make_card();
  }

  // Keys come with the options, fixed when the registry is filled: nothing to re-read.
  const model::ModelCard& card() const override { return card_; }

  double estimate_seconds(const model::PlannedCall&) const override {
    return row_ ? row_->typical_seconds : 60.0;
  }

  std::optional<double> estimate_usd(const model::PlannedCall& call) const override {
    const model::CallPrice& p = card_.price;  // the operator's price, else the table's
    if (p.per == model::PricePer::unpriced) return std::nullopt;
    switch (p.per) {
      case model::PricePer::output_second:
        return p.usd * std::max(1.0, call.duration_seconds > 0 ? call.duration_seconds : 5.0);
      case model::PricePer::image:
        return p.usd;
      case model::PricePer::megapixel: {
        // Billed per started megapixel (fal rounds up); an unsized call counts as 1 MP.
        const double mp =
            call.width > 0 && call.height > 0 ? call.width * double(call.height) / 1e6 : 1.0;
        return p.usd * std::ceil(mp - 1e-9);
      }
      default:
        return std::nullopt;
    }
  }

  // The call mapped as a run maps it — params, the row's duration and size rules, the
  // adapter's own request (built, never sent) — with a stand-in for a first frame that
  // does not exist yet. A size left to the input image is checked when the image is there.
  void check(const model::PlannedCall& call) const override {
    require(call.task);
    CallInput in = base(call.task, call.prompt, 0, call.params);
    in.negative_prompt = call.negative_prompt;
    in.width = call.width;
    in.height = call.height;
    if (call.task != model::Task::text_to_image) {
      in.duration_seconds = call.duration_seconds;
      in.fps = call.fps;
    }
    if (call.task == model::Task::image_to_video) in.image_data_uri = "data:image/png;base64,";
    mapping_notes(in);
    if (card_.availability.available)  // the keys sign some requests (Kling's JWT)
      provider_.submit(provider_.default_base_url(), in, credentials_for(provider_, options_));
  }

  model::ImageResult generate(const model::TextToImageRequest& r, model::RunContext& ctx) override {
    return run<model::ImageResult>(still_input(r), ctx);
  }

  model::VideoResult animate(const model::ImageToVideoRequest& r, model::RunContext& ctx) override {
    return run<model::VideoResult>(animate_input(r), ctx);
  }

  model::VideoResult generate_video(const model::TextToVideoRequest& r,
                                    model::RunContext& ctx) override {
    return run<model::VideoResult>(video_input(r), ctx);
  }

  // A synchronous provider's one request is the whole wait: it runs on a caller's thread.
  bool starts_async(model::Task t) const override {
    return !provider_.synchronous() && card().supports(t);
  }

  void start_generate(const model::TextToImageRequest& r, model::RunContext& ctx,
                      model::Completion<model::ImageResult> done) override {
    start(still_input(r), ctx, std::move(done));
  }

  void start_animate(const model::ImageToVideoRequest& r, model::RunContext& ctx,
                     model::Completion<model::VideoResult> done) override {
    start(animate_input(r), ctx, std::move(done));
  }

  void start_generate_video(const model::TextToVideoRequest& r, model::RunContext& ctx,
                            model::Completion<model::VideoResult> done) override {
    start(video_input(r), ctx, std::move(done));
  }

 private:
  std::string id() const { return provider_.name() + ":" + model_; }

  model::ModelCard make_card() const {
    model::ModelCard c;
    c.id = id();
    // The provider may change the model behind a name; reel cannot see that, so the
    // version is the name's (bump when the table's mapping changes outputs).
    c.version = "1";
    c.name = row_ ? row_->name : model_ + " on " + provider_.name();
    c.publisher = provider_.name() + " (hosted)";
    c.tasks =
        row_ ? row_->tasks
             : std::vector<model::Task>{model::Task::text_to_image, model::Task::image_to_video,
                                        model::Task::text_to_video};
    c.licence = "LicenseRef-" + provider_.name() + "-terms";
    c.training_data = row_ ? row_->training_data : model::TrainingData::undisclosed;
    c.training_data_note = row_ ? row_->training_data_note : "not disclosed by the provider";
    c.devices = {"provider"};
    c.cost = {"provider", row_ ? row_->typical_seconds : 60.0, 0.0,
              "typical wall time of one call (waiting, not compute)"};
    if (auto it = options_.prices.find(c.id); it != options_.prices.end())
      c.price = it->second;  // the operator's own figure wins over the table's
    else
      c.price = row_ ? row_->price
                     : model::CallPrice{model::PricePer::unpriced, 0,
                                        "not in reel's price table: set one with "
                                        "--provider-prices FILE (docs/providers.md)"};
    // Kling needs a key pair: name every variable, not just the first.
    std::string vars, missing;
    std::vector<std::string> needs;
    for (const auto& var : provider_.key_vars()) {
      vars += (vars.empty() ? "" : " and ") + var;
      if (auto it = options_.keys.find(var); it == options_.keys.end() || it->second.empty()) {
        needs.push_back("env:" + var);
        missing += (missing.empty() ? "" : " and ") + var;
      }
    }
    c.description =
        "hosted by " + provider_.name() + "; runs with your " + vars + " (docs/providers.md)";
    c.availability = needs.empty()
                         ? model::Availability::ready("key set")
                         : model::Availability::missing("no API key: set " + missing, needs);
    return c;
  }

  void require(model::Task t) const {
    if (!card().supports(t))
      throw Error(ErrorKind::InvalidInput,
                  id() + " does not do " + std::string(model::to_string(t)));
  }

  CallInput base(model::Task t, const std::string& prompt, std::uint64_t seed,
                 const Json& params) const {
    model::check_prompt(prompt, model::default_limits(), id(), /*required=*/true);
    CallInput in;
    in.task = t;
    in.model = model_;
    in.row = row_;
    in.prompt = prompt;
    in.seed = seed;
    if (params.is_object())
      for (const auto& [k, v] : params.items()) {
        if (k == "provider_input")
          in.provider_input = v;
        else
          throw Error(ErrorKind::InvalidInput, id() + ": unknown param '" + k +
                                                   "'; allowed: provider_input (a mapping "
                                                   "passed to the provider as is)");
      }
    return in;
  }

  // A prompt's call, still or clip: the fields both requests have.
  template <class Request>
  CallInput prompted_input(model::Task t, const Request& r) const {
    require(t);
    CallInput in = base(t, r.prompt, r.seed, r.params);
    in.negative_prompt = r.negative_prompt;
    in.width = r.width;
    in.height = r.height;
    return in;
  }

  CallInput still_input(const model::TextToImageRequest& r) const {
    return prompted_input(model::Task::text_to_image, r);
  }

  CallInput animate_input(const model::ImageToVideoRequest& r) const {
    require(model::Task::image_to_video);
    if (r.image.image.empty())
      throw Error(ErrorKind::InvalidInput, id() + ": the image to animate is empty");
    CallInput in = base(model::Task::image_to_video, r.motion, r.seed, r.params);
    in.duration_seconds = r.duration_seconds;
    in.fps = r.fps;
    // The provider starts from the same composite studio-animator would show.
    const media::Image& shape = r.background ? r.background->image : r.image.image;
    const int w = r.width > 0 ? r.width : shape.width(),
              h = r.height > 0 ? r.height : shape.height();
    in.width = w;  // the size asked for, for providers that take a size or aspect ratio
    in.height = h;
    const auto png = media::encode_png(studio::composite_first_frame(r, w, h));
    in.image_data_uri = "data:image/png;base64," + base64(png.data(), png.size());
    return in;
  }

  CallInput video_input(const model::TextToVideoRequest& r) const {
    CallInput in = prompted_input(model::Task::text_to_video, r);
    in.duration_seconds = r.duration_seconds;
    in.fps = r.fps;
    return in;
  }

  // The notes of mapping the call; refuses bad values before any request.
  static std::vector<std::string> mapping_notes(const CallInput& in) {
    std::vector<std::string> notes;
    map_common_input(in, "image_url", &notes);
    return notes;
  }

  // The file the provider returned, decoded (a file reel cannot read fails the call, so
  // nothing is stored), with what every result says of its call.
  template <class Result>
  Result result_of(std::vector<std::string> notes, const CallOutput& got) const {
    Result out;
    out.notes = std::move(notes);
    if constexpr (std::is_same_v<Result, model::ImageResult>)
      out.image = decode_image(got.bytes, id());
    else
      out.video = decode_video(got.bytes, id());
    out.metadata = metadata(got);
    out.billed_usd = got.billed_usd;
    // A provider that signs its files: reel's output keeps that manifest as its parent.
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(got.bytes.data());
    out.source_credentials = provenance::read_source_credentials(
        {bytes, got.bytes.size()}, id() + " output",
        std::is_same_v<Result, model::VideoResult> ? "video/mp4" : "image/png");
    if (out.source_credentials)
      out.notes.push_back(
          id() + "'s file carried its own Content Credentials" +
          (out.source_credentials->failures.empty()
               ? std::string()
               : " (which do not validate: " + out.source_credentials->failures.front() + ")") +
          "; kept as the parent ingredient");
    return out;
  }

  template <class Result>
  Result run(const CallInput& in, model::RunContext& ctx) {
    std::vector<std::string> notes = mapping_notes(in);
    return result_of<Result>(std::move(notes), run_call(provider_, options_, in, ctx));
  }

  // Decoding runs on the scheduler's worker, before `done`.
  template <class Result>
  void start(CallInput in, model::RunContext& ctx, model::Completion<Result> done) {
    std::vector<std::string> notes = mapping_notes(in);
    auto call = std::make_unique<HostedCall>(provider_, options_, std::move(in), ctx);
    CallScheduler::shared().start(std::move(call),
                                  [this, notes = std::move(notes), done = std::move(done)](
                                      std::exception_ptr error, CallOutput got) mutable {
                                    Result out;
                                    if (!error) try {
                                        out = result_of<Result>(std::move(notes), got);
                                      } catch (...) {
                                        error = std::current_exception();
                                      }
                                    done(error, std::move(out));
                                  });
  }

  Json metadata(const CallOutput& got) const {
    return {{"provider", provider_.name()},
            {"model", model_},
            {"task_id", got.task_id},
            {"resumed", got.resumed},
            {"source_host", got.url == "data:" ? "inline" : url_host(got.url)}};
  }

  const Provider& provider_;
  std::string model_;
  const ModelRow* row_;
  ProviderOptions options_;
  model::ModelCard card_;
};

}  // namespace

std::shared_ptr<model::Model> make_hosted_model(const Provider& provider, std::string model,
                                                const ModelRow* row, ProviderOptions options) {
  return std::make_shared<HostedModel>(provider, std::move(model), row, std::move(options));
}

}  // namespace reel::providers
