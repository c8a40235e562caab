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

WanDefaults wan_defaults(std::string_view model_type) {
  WanDefaults d;
  if (model_type == "ti2v") {  // Wan2.2-TI2V-5B's 720p at 24 fps
    d.width = 1280;
    d.height = 704;
    d.frames = 121;
    d.fps = 24;
  }
  return d;
}

Json to_json(const WanRequest& r) {
  Json j = {{"task", r.task},       {"prompt", r.prompt}, {"negative_prompt", r.negative_prompt},
            {"width", r.width},     {"height", r.height}, {"frames", r.frames},
            {"steps", r.steps},     {"shift", r.shift},   {"guidance", r.guidance},
            {"sampler", r.sampler}, {"seed", r.seed}};
  if (r.task == "i2v") j["image"] = r.image.string();
  return j;
}

std::string wan_side_rule(int v, int m) {
  const int lo = std::max(m, v / m * m), hi = std::min(WanLimits::max_side, (v + m - 1) / m * m);
  std::string rule = "a multiple of " + std::to_string(m) +
                     " (the VAE's spatial factor × the DiT patch) in " + std::to_string(m) + ".." +
                     std::to_string(WanLimits::max_side);
  if (v > 0 && v <= WanLimits::max_side)
    rule += "; ask for " + (lo == hi || hi < lo ? std::to_string(lo)
                                                : std::to_string(lo) + " or " + std::to_string(hi));
  return rule;
}

namespace {

constexpr int kMaxSide = WanLimits::max_side;
constexpr int kMaxFrames = WanLimits::max_frames;

std::string range(double lo, double hi) {
  auto num = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  };
  return num(lo) + ".." + num(hi);
}

std::string samplers() {
  std::string s;
  for (const char* name : kWanSamplers) s += (s.empty() ? "" : ", ") + std::string(name);
  return s;
}

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
  const WanDefaults d = wan_defaults(model_type);
  r.width = d.width;
  r.height = d.height;
  r.frames = d.frames;
  r.steps = d.steps;
  r.shift = d.shift;
  r.guidance = d.guidance;
  r.sampler = d.sampler;
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
    r.steps = static_cast<int>(
        get_integer(json["steps"], "steps", WanLimits::min_steps, WanLimits::max_steps));
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
                          int temporal_factor, bool check_image_file) {
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
      throw_error(ErrorKind::InvalidInput, std::string("request \"") + name + "\" " +
                                               std::to_string(v) + " must be " +
                                               wan_side_rule(v, spatial_multiple));
  }
  if (r.frames < 1 || r.frames > kMaxFrames || (r.frames - 1) % temporal_factor != 0)
    throw_error(ErrorKind::InvalidInput, "request \"frames\" " + std::to_string(r.frames) +
                                             " must be 1 + " + std::to_string(temporal_factor) +
                                             "k (1, 5, 9, ..., 81, ...) up to " +
                                             std::to_string(kMaxFrames));
  if (r.task == "t2i" && r.frames != 1)
    throw_error(ErrorKind::InvalidInput, "task t2i makes one frame; request \"frames\" is " +
                                             std::to_string(r.frames) + " (allowed: 1)");
  if (r.steps < WanLimits::min_steps || r.steps > WanLimits::max_steps)
    throw_error(ErrorKind::InvalidInput, "request \"steps\" " + std::to_string(r.steps) +
                                             " must be in " +
                                             range(WanLimits::min_steps, WanLimits::max_steps));
  if (!(r.shift >= WanLimits::min_shift && r.shift <= WanLimits::max_shift))
    throw_error(ErrorKind::InvalidInput, "request \"shift\" " + std::to_string(r.shift) +
                                             " must be in " +
                                             range(WanLimits::min_shift, WanLimits::max_shift));
  if (!(r.guidance >= WanLimits::min_guidance && r.guidance <= WanLimits::max_guidance))
    throw_error(ErrorKind::InvalidInput,
                "request \"guidance\" " + std::to_string(r.guidance) + " must be in " +
                    range(WanLimits::min_guidance, WanLimits::max_guidance));
  bool known_sampler = false;
  for (const char* name : kWanSamplers) known_sampler |= r.sampler == name;
  if (!known_sampler)
    throw_error(ErrorKind::InvalidInput,
                "request \"sampler\" \"" + r.sampler + "\" is not one of " + samplers());
  if (r.task == "i2v") {
    if (r.image.empty())
      throw_error(ErrorKind::InvalidInput,
                  "task i2v needs request \"image\": the first frame as a PNG or JPEG path");
    std::error_code ec;
    if (check_image_file && !std::filesystem::is_regular_file(r.image, ec))
      throw_error(ErrorKind::NotFound, "request \"image\" not found: " + r.image.string());
  } else if (!r.image.empty()) {
    throw_error(ErrorKind::InvalidInput,
                "request \"image\" is for task i2v only; task is " + r.task);
  }
}

}  // namespace reel::neural
