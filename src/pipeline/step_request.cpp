#include "step_request.hpp"

#include <algorithm>
#include <cmath>

#include "reel/core/error.hpp"

namespace reel::pipeline {
namespace {

template <class T>
T param(const Json& params, const char* key, T fallback) {
  auto it = params.find(key);
  if (it == params.end() || it->is_null()) return fallback;
  return it->get<T>();
}

const model::ImageResult& input_image(const std::map<std::string, Artifact>& inputs,
                                      const std::string& slot) {
  auto it = inputs.find(slot);
  if (it == inputs.end() || !it->second.image)
    throw Error(ErrorKind::Internal, "input '" + slot + "' was not resolved to an image");
  return *it->second.image;
}

const model::ImageResult* optional_image(const std::map<std::string, Artifact>& inputs,
                                         const std::string& slot) {
  auto it = inputs.find(slot);
  return it == inputs.end() ? nullptr : it->second.image.get();
}

// Fields every generating request shares (size, seed, extras).
template <class Request>
void fill_common(Request& r, const Json& p, std::uint64_t seed, const Json& extra) {
  r.width = param<int>(p, "width", 0);
  r.height = param<int>(p, "height", 0);
  r.seed = seed;
  r.params = extra;
}

// A clip's timing when the step does not say (the request types' own defaults).
constexpr double kDefaultDuration = 5.0;
constexpr double kDefaultFps = 24.0;

template <class Request>
void fill_timing(Request& r, const Json& p) {
  r.duration_seconds = param<double>(p, "duration", kDefaultDuration);
  r.fps = param<double>(p, "fps", kDefaultFps);
}

}  // namespace

namespace {

model::TextToImageRequest still_request(const Step& step, std::uint64_t seed, const Json& extra) {
  const Json& p = step.params;
  model::TextToImageRequest r;
  r.prompt = param<std::string>(p, "prompt", "");
  r.negative_prompt = param<std::string>(p, "negative_prompt", "");
  r.style = param<std::string>(p, "style", "");
  fill_common(r, p, seed, extra);
  return r;
}

model::ImageToVideoRequest animate_request(const Step& step, std::uint64_t seed, const Json& extra,
                                           const std::map<std::string, Artifact>& inputs) {
  const Json& p = step.params;
  model::ImageToVideoRequest r;
  r.image = input_image(inputs, "image");
  if (auto* bg = optional_image(inputs, "background")) r.background = *bg;
  r.motion = param<std::string>(p, "motion", "");
  fill_timing(r, p);
  fill_common(r, p, seed, extra);
  return r;
}

model::TextToVideoRequest video_request(const Step& step, std::uint64_t seed, const Json& extra) {
  const Json& p = step.params;
  model::TextToVideoRequest r;
  r.prompt = param<std::string>(p, "prompt", "");
  r.negative_prompt = param<std::string>(p, "negative_prompt", "");
  fill_timing(r, p);
  fill_common(r, p, seed, extra);
  return r;
}

// `done` as the model's Completion for one kind of result, filling `slot` of a StepOutput.
template <class Result>
model::Completion<Result> output_in(model::ValueType type, Result StepOutput::*slot,
                                    std::function<void(std::exception_ptr, StepOutput)> done) {
  return [type, slot, done = std::move(done)](std::exception_ptr error, Result result) {
    StepOutput out;
    out.type = type;
    out.*slot = std::move(result);
    done(error, std::move(out));
  };
}

}  // namespace

StepOutput run_step_model(const Step& step, model::Model& m, std::uint64_t seed,
                          const std::map<std::string, Artifact>& inputs, model::RunContext& ctx) {
  const Json& p = step.params;
  Json extra = param<Json>(p, "extra", Json::object());
  StepOutput out;
  out.type = model::output_type(step.task);
  switch (step.task) {
    case model::Task::text_to_image:
      out.image = model::as_task<model::TextToImage>(m, step.task)
                      .generate(still_request(step, seed, extra), ctx);
      break;
    case model::Task::image_to_video:
      out.video = model::as_task<model::ImageToVideo>(m, step.task)
                      .animate(animate_request(step, seed, extra, inputs), ctx);
      break;
    case model::Task::text_to_video:
      out.video = model::as_task<model::TextToVideo>(m, step.task)
                      .generate_video(video_request(step, seed, extra), ctx);
      break;
    case model::Task::composite: {
      model::CompositeRequest r;
      r.foreground = input_image(inputs, "foreground");
      r.background = input_image(inputs, "background");
      r.params = extra;
      for (const char* k : {"x", "y", "scale"})
        if (p.contains(k)) r.params[k] = p[k];
      out.image = model::as_task<model::Composite>(m, step.task).composite(r, ctx);
      break;
    }
    case model::Task::matting: {
      model::MattingRequest r;
      r.image = input_image(inputs, "image");
      r.params = extra;
      out.image = model::as_task<model::Matting>(m, step.task).matte(r, ctx);
      break;
    }
    case model::Task::upscale:
      throw Error(ErrorKind::Unsupported, "no upscale models are available in this build");
  }
  return out;
}

model::AsyncCalls* async_model(const Step& step, model::Model& m) {
  auto* a = dynamic_cast<model::AsyncCalls*>(&m);
  return a && a->starts_async(step.task) ? a : nullptr;
}

void start_step_model(const Step& step, model::AsyncCalls& m, std::uint64_t seed,
                      const std::map<std::string, Artifact>& inputs, model::RunContext& ctx,
                      std::function<void(std::exception_ptr, StepOutput)> done) {
  const Json extra = param<Json>(step.params, "extra", Json::object());
  const model::ValueType type = model::output_type(step.task);
  switch (step.task) {
    case model::Task::text_to_image:
      return m.start_generate(still_request(step, seed, extra), ctx,
                              output_in(type, &StepOutput::image, std::move(done)));
    case model::Task::image_to_video:
      return m.start_animate(animate_request(step, seed, extra, inputs), ctx,
                             output_in(type, &StepOutput::video, std::move(done)));
    case model::Task::text_to_video:
      return m.start_generate_video(video_request(step, seed, extra), ctx,
                                    output_in(type, &StepOutput::video, std::move(done)));
    default:
      throw Error(ErrorKind::Internal, "a " + std::string(model::to_string(step.task)) +
                                           " step was started as an asynchronous call");
  }
}

model::PlannedCall planned_call(const Step& step, const std::map<std::string, double>& input_mp) {
  const Json& p = step.params;
  model::PlannedCall call;
  call.task = step.task;
  call.prompt =
      param<std::string>(p, step.task == model::Task::image_to_video ? "motion" : "prompt", "");
  call.negative_prompt = param<std::string>(p, "negative_prompt", "");
  call.width = param<int>(p, "width", 0);
  call.height = param<int>(p, "height", 0);
  call.params = param<Json>(p, "extra", Json::object());
  call.style = param<std::string>(p, "style", "");
  double mp = call.width && call.height ? call.width * double(call.height) / 1e6 : 0.0;
  if (step.task == model::Task::text_to_image && mp == 0)
    mp = param<std::string>(p, "style", "") == "4k" ? 3840.0 * 2160 / 1e6 : 1280.0 * 720 / 1e6;
  if (mp == 0) {
    // Animators render at the background's size when there is one (a 4K
    // character still composited into a 720p scene makes 720p frames).
    if (auto bg = input_mp.find("background"); bg != input_mp.end() && bg->second > 0)
      mp = bg->second;
    else
      for (auto& [slot, v] : input_mp) mp = std::max(mp, v);
    if (mp == 0) mp = 1280.0 * 720 / 1e6;
  }
  if (model::output_type(step.task) == model::ValueType::video) {
    call.duration_seconds = param<double>(p, "duration", kDefaultDuration);
    call.fps = param<double>(p, "fps", kDefaultFps);
    mp *= std::max(1.0, std::round(call.duration_seconds * call.fps));
  }
  call.megapixels = mp;
  return call;
}

}  // namespace reel::pipeline
