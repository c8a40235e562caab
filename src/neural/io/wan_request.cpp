// parse_wan_request / validate_wan_request: REQ.json of `reel-neural generate`.
#include "reel/neural/wan_request.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "reel/core/error.hpp"

namespace reel::neural {

// Verbatim from the publisher's wan/configs/shared_config.py (Wan2.1 and Wan2.2).
const char* const kWanDefaultNegativePrompt =
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，"
    "低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，"
    "毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走";

std::string_view WanRequest::effective_negative_prompt() const {
  return negative_prompt.empty() ? std::string_view(kWanDefaultNegativePrompt)
                                 : std::string_view(negative_prompt);
}

namespace {

constexpr int kMaxSide = 4096;
constexpr int kMaxFrames = 1001;

[[noreturn]] void bad(const std::string& key, const std::string& allowed, const Json& got) {
  throw_error(ErrorKind::InvalidInput,
              "request \"" + key + "\" must be " + allowed + ", got " + got.dump());
}

std::string get_string(const Json& j, const std::string& key) {
  if (!j.is_string()) bad(key, "a string", j);
  return j.get<std::string>();
}

long long get_integer(const Json& j, const std::string& key, long long lo, long long hi) {
  const std::string allowed = "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
  if (!j.is_number_integer()) bad(key, allowed, j);
  if (j.is_number_unsigned()) {
    const auto v = j.get<unsigned long long>();
    if (v > static_cast<unsigned long long>(hi)) bad(key, allowed, j);
    return static_cast<long long>(v);
  }
  const auto v = j.get<long long>();
  if (v < lo || v > hi) bad(key, allowed, j);
  return v;
}

double get_number(const Json& j, const std::string& key) {
  if (!j.is_number() || !std::isfinite(j.get<double>())) bad(key, "a finite number", j);
  return j.get<double>();
}

}  // namespace

WanRequest parse_wan_request(const Json& json, std::string_view model_type,
                             const std::filesystem::path& base_dir) {
  if (!json.is_object()) bad("(request)", "a JSON object", json);
  static const std::set<std::string> kKeys = {
      "task",  "prompt", "negative_prompt", "width",   "height", "frames",
      "steps", "shift",  "guidance",        "sampler", "seed",   "image"};
  for (const auto& [key, value] : json.items()) {
    if (!kKeys.count(key)) {
      std::string allowed;
      for (const auto& k : kKeys) allowed += (allowed.empty() ? "" : ", ") + k;
      throw_error(ErrorKind::InvalidInput,
                  "unknown request key \"" + key + "\" (allowed: " + allowed + ")");
    }
  }
  WanRequest r;
  if (model_type == "ti2v") {  // Wan2.2-TI2V-5B's 720p default
    r.width = 1280;
    r.height = 704;
    r.frames = 121;
  }
  if (json.contains("task")) r.task = get_string(json["task"], "task");
  if (r.task == "t2i") r.frames = 1;
  if (json.contains("prompt")) r.prompt = get_string(json["prompt"], "prompt");
  if (json.contains("negative_prompt"))
    r.negative_prompt = get_string(json["negative_prompt"], "negative_prompt");
  if (json.contains("width"))
    r.width = static_cast<int>(get_integer(json["width"], "width", 1, kMaxSide));
  if (json.contains("height"))
    r.height = static_cast<int>(get_integer(json["height"], "height", 1, kMaxSide));
  if (json.contains("frames"))
    r.frames = static_cast<int>(get_integer(json["frames"], "frames", 1, kMaxFrames));
  if (json.contains("steps"))
    r.steps = static_cast<int>(get_integer(json["steps"], "steps", 1, 1000));
  if (json.contains("shift")) r.shift = get_number(json["shift"], "shift");
  if (json.contains("guidance")) r.guidance = get_number(json["guidance"], "guidance");
  if (json.contains("sampler")) r.sampler = get_string(json["sampler"], "sampler");
  if (json.contains("seed"))
    r.seed = static_cast<std::uint64_t>(
        get_integer(json["seed"], "seed", 0, std::numeric_limits<long long>::max()));
  if (json.contains("image")) {
    std::filesystem::path image = get_string(json["image"], "image");
    r.image = image.is_relative() && !base_dir.empty() ? base_dir / image : image;
  }
  return r;
}

void validate_wan_request(const WanRequest& r, std::string_view model_type, int spatial_multiple,
                          int temporal_factor) {
  const std::string type(model_type);
  if (type == "i2v")
    throw_error(ErrorKind::Unsupported,
                "Wan2.1 I2V checkpoints need the CLIP image encoder, which reel does not run yet; "
                "use a Wan2.2 TI2V checkpoint for image-to-video");
  if (r.task != "t2v" && r.task != "t2i" && r.task != "i2v")
    throw_error(ErrorKind::InvalidInput,
                "request \"task\" \"" + r.task + "\" is not one of t2v, i2v, t2i");
  if (r.task == "i2v" && type != "ti2v")
    throw_error(ErrorKind::InvalidInput,
                "task i2v needs a ti2v checkpoint (Wan2.2-TI2V-5B); this "
                "folder's model_type is " +
                    type + " (allowed tasks: t2v, t2i)");
  if (r.prompt.empty())
    throw_error(ErrorKind::InvalidInput, "request \"prompt\" is empty; a text prompt is required");
  for (const auto& [name, v] :
       {std::pair<const char*, int>{"width", r.width}, {"height", r.height}}) {
    if (v < spatial_multiple || v > kMaxSide || v % spatial_multiple != 0)
      throw_error(ErrorKind::InvalidInput,
                  std::string("request \"") + name + "\" " + std::to_string(v) +
                      " must be a multiple of " + std::to_string(spatial_multiple) +
                      " (the VAE's spatial factor × the DiT patch) in " +
                      std::to_string(spatial_multiple) + ".." + std::to_string(kMaxSide));
  }
  if (r.frames < 1 || r.frames > kMaxFrames || (r.frames - 1) % temporal_factor != 0)
    throw_error(ErrorKind::InvalidInput, "request \"frames\" " + std::to_string(r.frames) +
                                             " must be 1 + " + std::to_string(temporal_factor) +
                                             "k (1, 5, 9, ..., 81, ...) up to " +
                                             std::to_string(kMaxFrames));
  if (r.task == "t2i" && r.frames != 1)
    throw_error(ErrorKind::InvalidInput, "task t2i makes one frame; request \"frames\" is " +
                                             std::to_string(r.frames) + " (allowed: 1)");
  if (r.steps < 1 || r.steps > 1000)
    throw_error(ErrorKind::InvalidInput,
                "request \"steps\" " + std::to_string(r.steps) + " must be in 1..1000");
  if (!(r.shift > 0) || !std::isfinite(r.shift))
    throw_error(ErrorKind::InvalidInput,
                "request \"shift\" " + std::to_string(r.shift) + " must be a number > 0");
  if (!(r.guidance >= 0 && r.guidance <= 100))
    throw_error(ErrorKind::InvalidInput,
                "request \"guidance\" " + std::to_string(r.guidance) + " must be in 0..100");
  if (r.sampler != "unipc" && r.sampler != "euler")
    throw_error(ErrorKind::InvalidInput,
                "request \"sampler\" \"" + r.sampler + "\" is not one of unipc, euler");
  if (r.task == "i2v") {
    if (r.image.empty())
      throw_error(ErrorKind::InvalidInput,
                  "task i2v needs request \"image\": the first frame as a PNG or JPEG path");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(r.image, ec))
      throw_error(ErrorKind::NotFound, "request \"image\" not found: " + r.image.string());
  } else if (!r.image.empty()) {
    throw_error(ErrorKind::InvalidInput,
                "request \"image\" is for task i2v only; task is " + r.task);
  }
}

}  // namespace reel::neural
