#include "wan/wan_request.hpp"

#include <cmath>

#include "reel/core/error.hpp"

namespace reel::wan::detail {

Json GenerateJob::to_request(const std::string& image) const {
  Json r = {{"task", task},       {"prompt", prompt}, {"negative_prompt", negative_prompt},
            {"width", width},     {"height", height}, {"frames", frames},
            {"steps", steps},     {"shift", shift},   {"guidance", guidance},
            {"sampler", sampler}, {"seed", seed}};
  if (task == "i2v") r["image"] = image;
  return r;
}

namespace {

std::string nearest_sides(int v, int m) {
  const int lo = std::max(m, v / m * m), hi = (v + m - 1) / m * m;
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + " or " + std::to_string(hi);
}

}  // namespace

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
    if (v % m != 0)
      throw Error(ErrorKind::InvalidInput, spec.id + ": " + name + " " + std::to_string(v) +
                                               " is not a multiple of " + std::to_string(m) +
                                               " (the VAE stride times the DiT patch); ask for " +
                                               nearest_sides(v, m));
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
  if (!params.is_object())
    throw Error(ErrorKind::InvalidInput, spec.id + ": params must be a mapping");
  auto number = [&](const std::string& key, double lo, double hi) {
    const Json& v = params[key];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo ||
        v.get<double>() > hi)
      throw Error(ErrorKind::InvalidInput, spec.id + ": param '" + key + "' must be a number in " +
                                               std::to_string(lo) + ".." + std::to_string(hi) +
                                               "; got " + v.dump());
    return v.get<double>();
  };
  for (const auto& [key, value] : params.items()) {
    if (key == "steps") {
      if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > 1000)
        throw Error(ErrorKind::InvalidInput,
                    spec.id + ": param 'steps' must be an integer in 1..1000; got " + value.dump());
      job.steps = value.get<int>();
    } else if (key == "shift") {
      job.shift = number(key, 0.01, 100);
    } else if (key == "guidance") {
      job.guidance = number(key, 0, 50);
    } else if (key == "sampler") {
      if (!value.is_string() || (value != "unipc" && value != "euler"))
        throw Error(
            ErrorKind::InvalidInput,
            spec.id + ": param 'sampler' must be \"unipc\" or \"euler\"; got " + value.dump());
      job.sampler = value.get<std::string>();
    } else {
      throw Error(ErrorKind::InvalidInput, spec.id + ": unknown param '" + key +
                                               "'; allowed: steps, shift, guidance, sampler");
    }
  }
}

}  // namespace reel::wan::detail
