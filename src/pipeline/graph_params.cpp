#include "pipeline/graph_params.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <optional>
#include <sstream>

#include "reel/core/error.hpp"

namespace reel::pipeline::detail {
namespace {

using model::Task;

// Values quoted in messages are cut short: a refused 10 MB value is not echoed back.
std::string short_dump(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() <= 80) return s;
  std::size_t cut = 77;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 start
  return s.substr(0, cut) + "...";
}

}  // namespace

std::string json_type_name(const Json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "null";
  if (v.is_array()) return "a list";
  return "a mapping";
}

namespace {

std::string show(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Typed access to one step's params; every refusal names the step and the param.
class Params {
 public:
  Params(const Step& step) : step_(step), what_("step '" + step.id + "'") {}

  const std::string& what() const { return what_; }
  std::string what_param(const std::string& key) const { return what_ + ", param '" + key + "'"; }

  [[noreturn]] void fail(const std::string& key, const std::string& expected,
                         const Json& got) const {
    throw Error(ErrorKind::InvalidInput, what_ + ": param '" + key + "' must be " + expected +
                                             "; got " + json_type_name(got) + " " +
                                             short_dump(got));
  }

  const Json* get(const std::string& key) const {
    auto it = step_.params.find(key);
    return it == step_.params.end() ? nullptr : &*it;
  }

  std::optional<std::string> text(const std::string& key) const {
    const Json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(key, "a string", *v);
    return v->get<std::string>();
  }

  std::optional<long long> integer(const std::string& key, const std::string& range) const {
    const Json* v = get(key);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned()) {
      // Larger than any range we allow: saturate, the range check reports it.
      auto u = v->get<unsigned long long>();
      return u > (unsigned long long)LLONG_MAX ? LLONG_MAX : (long long)u;
    }
    if (!v->is_number_integer()) fail(key, "an integer in " + range, *v);
    return v->get<long long>();
  }

  std::optional<double> number(const std::string& key, const std::string& range) const {
    const Json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) fail(key, "a number in " + range, *v);
    double d = v->get<double>();
    if (!std::isfinite(d)) fail(key, "a finite number in " + range, *v);
    return d;
  }

  void check_range(const std::string& key, double v, double lo, double hi,
                   const std::string& unit = "") const {
    if (v < lo || v > hi)
      throw Error(ErrorKind::InvalidInput, what_ + ": " + key + " " + show(v) + unit +
                                               " is out of range; allowed " + show(lo) + ".." +
                                               show(hi) + unit);
  }

 private:
  const Step& step_;
  std::string what_;
};

void check_keys(const Step& step, const Params& p) {
  if (step.params.is_null()) return;  // built in code without params: none given
  if (!step.params.is_object())
    throw Error(
        ErrorKind::InvalidInput,
        p.what() + ": params must be a mapping of name: value; got " + json_type_name(step.params));
  const TaskSpec& spec = task_spec(step.task);
  for (const auto& [key, value] : step.params.items()) {
    if (key == "extra") {
      if (!value.is_object()) p.fail(key, "a mapping (model-specific settings)", value);
      continue;
    }
    if (std::find(spec.params.begin(), spec.params.end(), key) == spec.params.end()) {
      std::vector<std::string> allowed = spec.params;
      allowed.push_back("extra");
      throw Error(ErrorKind::InvalidInput, p.what() + ": unknown param '" + key + "' for task " +
                                               std::string(model::to_string(step.task)) +
                                               "; allowed: " + join(allowed));
    }
  }
}

void check_text(const Step& step, const Params& p, const model::Limits& limits) {
  bool needs_prompt = step.task == Task::text_to_image || step.task == Task::text_to_video;
  if (needs_prompt) {
    auto prompt = p.text("prompt");
    if (!prompt)
      throw Error(ErrorKind::InvalidInput, p.what() + ": param 'prompt' is required for task " +
                                               std::string(model::to_string(step.task)) +
                                               "; describe what to make (at most " +
                                               std::to_string(limits.max_prompt_chars) +
                                               " characters)");
    model::check_prompt(*prompt, limits, p.what(), true);
  }
  for (const char* key : {"negative_prompt", "style", "motion"})
    if (auto t = p.text(key)) model::check_prompt(*t, limits, p.what_param(key), false);
  if (auto preset = p.text("preset")) {
    const auto& presets = x264_presets();
    if (std::find(presets.begin(), presets.end(), *preset) == presets.end())
      throw Error(
          ErrorKind::InvalidInput,
          p.what() + ": preset '" + *preset + "' is not an x264 preset; allowed: " + join(presets));
  }
}

void check_side(const Params& p, const std::string& key, long long v, int lo, int hi) {
  if (v < lo || v > hi)
    throw Error(ErrorKind::InvalidInput, p.what() + ": " + key + " " + std::to_string(v) +
                                             " is out of range; " + key + " must be " +
                                             std::to_string(lo) + ".." + std::to_string(hi));
}

void check_numbers(const Step& step, const Params& p, const model::Limits& l) {
  std::string side_range = std::to_string(l.min_side) + ".." + std::to_string(l.max_width);
  auto width = p.integer("width", side_range);
  auto height =
      p.integer("height", std::to_string(l.min_side) + ".." + std::to_string(l.max_height));
  auto fits_int = [](std::optional<long long> v) { return v && *v >= INT_MIN && *v <= INT_MAX; };
  if (fits_int(width) && fits_int(height)) {
    model::check_size(int(*width), int(*height), l, p.what());
  } else {
    if (width) check_side(p, "width", *width, l.min_side, l.max_width);
    if (height) check_side(p, "height", *height, l.min_side, l.max_height);
  }

  std::string fps_range = show(l.min_fps) + ".." + show(l.max_fps);
  auto fps = p.number("fps", fps_range);
  if (fps) model::check_fps(*fps, l, p.what());
  auto duration = p.number(
      "duration", show(l.min_duration_seconds) + ".." + show(l.max_duration_seconds) + " seconds");
  // The default fps (24) still bounds the frame count of a long clip.
  if (duration) model::check_duration(*duration, fps.value_or(24.0), l, p.what());

  if (auto crf = p.integer("crf", "0..51")) p.check_range("crf", double(*crf), 0, 51);

  if (step.task == Task::composite) {
    for (const char* key : {"x", "y"})
      if (auto v = p.number(key, "0..1 (a fraction of the frame)")) p.check_range(key, *v, 0, 1);
    if (auto s = p.number("scale", "0.01..16")) p.check_range("scale", *s, 0.01, 16);
  } else if (step.task == Task::upscale) {
    if (auto s = p.number("scale", "1..8")) p.check_range("scale", *s, 1, 8);
  }
}

}  // namespace

const std::vector<std::string>& x264_presets() {
  static const std::vector<std::string> presets = {"ultrafast", "superfast", "veryfast", "faster",
                                                   "fast",      "medium",    "slow",     "slower",
                                                   "veryslow",  "placebo"};
  return presets;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

void check_params(const Step& step, const model::Limits& limits) {
  Params p(step);
  check_keys(step, p);
  check_text(step, p, limits);
  check_numbers(step, p, limits);
}

}  // namespace reel::pipeline::detail
