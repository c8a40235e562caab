#include "wan/wan_request.hpp"

#include <cmath>

#include "reel/core/error.hpp"
#include "reel/model/tasks.hpp"

namespace reel::wan::detail {
using neural::WanLimits;

Json GenerateJob::to_request(const std::string& image) const {
  neural::WanRequest r = *this;
  if (task == "i2v") r.image = image;
  return neural::to_json(r);
}

void resolve_size(const WanSpec& spec, int width, int height, bool portrait, GenerateJob& job) {
  const int m = spec.size_multiple;
  if (width == 0 && height == 0) {
    job.width = portrait ? spec.defaults.height : spec.defaults.width;
    job.height = portrait ? spec.defaults.width : spec.defaults.height;
    return;
  }
  if (width <= 0 || height <= 0)
    throw Error(ErrorKind::InvalidInput,
                spec.id + ": width and height must both be given (positive) or both be 0 (the " +
                    "model's default " + std::to_string(spec.defaults.width) + "x" +
                    std::to_string(spec.defaults.height) + "); got " + std::to_string(width) + "x" +
                    std::to_string(height));
  for (auto [name, v] : {std::pair<const char*, int>{"width", width}, {"height", height}})
    if (v % m != 0 || v > WanLimits::max_side)
      throw Error(ErrorKind::InvalidInput, spec.id + ": " + name + " " + std::to_string(v) +
                                               " must be " + neural::wan_side_rule(v, m));
  job.width = width;
  job.height = height;
}

void resolve_frames(const WanSpec& spec, double duration, double fps, GenerateJob& job) {
  if (!(fps > 0) || !(duration > 0))
    throw Error(ErrorKind::InvalidInput, spec.id + ": duration and fps must be positive");
  job.fps = fps;
  const long asked = std::max(1L, std::lround(duration * fps));
  const long k = std::max(1L, std::lround((asked - 1) / 4.0));
  const long frames = 1 + 4 * k;
  if (frames > kMaxFrames)
    throw Error(ErrorKind::InvalidInput,
                spec.id + ": " + std::to_string(asked) + " frames asked (duration x fps); Wan " +
                    "makes at most " + std::to_string(kMaxFrames) + " frames in one clip (" +
                    std::to_string(kMaxFrames / fps) + " s at " + std::to_string(fps) +
                    " fps): shorten the clip or lower the fps");
  if (frames != asked)
    job.notes.push_back(spec.id + ": " + std::to_string(asked) + " frames rounded to " +
                        std::to_string(frames) + " (Wan makes 1 + 4k frames)");
  if (std::abs(fps - spec.defaults.fps) > 0.01)
    job.notes.push_back(spec.id + " was trained at " + std::to_string(int(spec.defaults.fps)) +
                        " fps; at " + std::to_string(fps) + " fps its motion plays " +
                        (fps > spec.defaults.fps ? "faster" : "slower"));
  job.frames = static_cast<int>(frames);
}

void apply_params(const WanSpec& spec, const Json& params, GenerateJob& job) {
  job.steps = spec.defaults.steps;
  job.shift = spec.defaults.shift;
  job.guidance = spec.defaults.guidance;
  job.sampler = spec.defaults.sampler;
  if (params.is_null()) return;
  model::check_extra_keys(spec.id, params, {"steps", "shift", "guidance", "sampler"});
  // Types here; ranges below from the contract, in its own words.
  for (const auto& [key, value] : params.items()) {
    if (key == "steps") {
      if (!value.is_number_integer() || value.get<long long>() < WanLimits::min_steps ||
          value.get<long long>() > WanLimits::max_steps)
        throw Error(ErrorKind::InvalidInput, spec.id + ": param 'steps' must be an integer in " +
                                                 std::to_string(WanLimits::min_steps) + ".." +
                                                 std::to_string(WanLimits::max_steps) + "; got " +
                                                 value.dump());
      job.steps = value.get<int>();
    } else if (key == "shift" || key == "guidance") {
      if (!value.is_number() || !std::isfinite(value.get<double>()))
        throw Error(ErrorKind::InvalidInput,
                    spec.id + ": param '" + key + "' must be a number; got " + value.dump());
      (key == "shift" ? job.shift : job.guidance) = value.get<double>();
    } else if (key == "sampler") {
      if (!value.is_string())
        throw Error(ErrorKind::InvalidInput,
                    spec.id + ": param 'sampler' must be a string; got " + value.dump());
      job.sampler = value.get<std::string>();
    }
  }
  with_context(spec.id + ": params", [&] {
    neural::WanRequest probe;  // only the sampling fields matter here
    probe.prompt = "-";
    probe.width = probe.height = spec.size_multiple;
    probe.frames = 1;
    probe.task = "t2i";
    probe.steps = job.steps;
    probe.shift = job.shift;
    probe.guidance = job.guidance;
    probe.sampler = job.sampler;
    neural::validate_wan_request(probe, spec.model_type, spec.size_multiple);
  });
}

void check_request(const WanSpec& spec, const GenerateJob& job) {
  neural::WanRequest r = job;
  if (r.task == "i2v" && r.image.empty()) r.image = "first_frame.png";  // written by run()
  with_context(spec.id, [&] {
    neural::validate_wan_request(r, spec.model_type, spec.size_multiple, WanLimits::temporal_factor,
                                 /*check_image_file=*/false);
  });
}

}  // namespace reel::wan::detail
