// `reel calibrate`: one small generation through the adapter, its timings turned into
// a CostProfile and kept under $REEL_HOME/calibration/ so the card (and with it the
// planner's estimates) uses measured figures instead of the publisher's.
#include <fstream>
#include <sstream>
#include <thread>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "wan/wan_internal.hpp"

namespace reel::wan {
namespace fs = std::filesystem;

Json Calibration::to_json() const {
  return {{"model", model},
          {"device", device},
          {"dtype", dtype},
          {"width", width},
          {"height", height},
          {"frames", frames},
          {"steps", steps},
          {"t5_seconds", t5_seconds},
          {"dit_seconds", dit_seconds},
          {"vae_seconds", vae_seconds},
          {"total_seconds", total_seconds},
          {"cost_profile",
           {{"device", profile.device},
            {"setup_seconds", profile.setup_seconds},
            {"seconds_per_megapixel", profile.seconds_per_megapixel},
            {"measured_on", profile.measured_on}}}};
}

Calibration Calibration::from_json(const Json& j) {
  auto need = [&](const Json& o, const char* key) -> const Json& {
    if (!o.is_object() || !o.contains(key))
      throw Error(ErrorKind::InvalidInput, std::string("calibration: missing key '") + key + "'");
    return o[key];
  };
  try {
    Calibration c;
    c.model = need(j, "model").get<std::string>();
    c.device = need(j, "device").get<std::string>();
    c.dtype = j.value("dtype", std::string());
    c.width = need(j, "width").get<int>();
    c.height = need(j, "height").get<int>();
    c.frames = need(j, "frames").get<int>();
    c.steps = need(j, "steps").get<int>();
    c.t5_seconds = need(j, "t5_seconds").get<double>();
    c.dit_seconds = need(j, "dit_seconds").get<double>();
    c.vae_seconds = need(j, "vae_seconds").get<double>();
    c.total_seconds = need(j, "total_seconds").get<double>();
    const Json& p = need(j, "cost_profile");
    c.profile.device = need(p, "device").get<std::string>();
    c.profile.setup_seconds = need(p, "setup_seconds").get<double>();
    c.profile.seconds_per_megapixel = need(p, "seconds_per_megapixel").get<double>();
    c.profile.measured_on = p.value("measured_on", std::string());
    return c;
  } catch (const Json::exception& e) {
    throw Error(ErrorKind::InvalidInput, std::string("calibration: ") + e.what());
  }
}

fs::path calibration_file(const WanOptions& options, const std::string& model_id) {
  return options.calibration_root() /
         (model_id + "." + detail::device_kind(options.device) + ".json");
}

std::optional<Calibration> load_calibration(const WanOptions& options,
                                            const std::string& model_id) {
  const fs::path file = calibration_file(options, model_id);
  std::ifstream in(file);
  if (!in) return std::nullopt;  // not calibrated: an expected outcome
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  try {
    return Calibration::from_json(j);
  } catch (const Error&) {
    // A damaged file must not stop every listing; the card says uncalibrated.
    return std::nullopt;
  }
}

Calibration derive_calibration(const WanSpec& spec, Calibration m) {
  const double mpf = m.width * double(m.height) / 1e6 * std::max(1, m.frames);
  if (mpf <= 0 || m.steps <= 0)
    throw Error(ErrorKind::InvalidInput, "calibration: the measured run has no pixels or steps");
  const double dit_per_step = m.dit_seconds / m.steps;
  m.profile.device = detail::device_kind(m.device);
  m.profile.setup_seconds = std::max(0.0, m.total_seconds - m.dit_seconds - m.vae_seconds);
  m.profile.seconds_per_megapixel = dit_per_step / mpf * spec.defaults.steps + m.vae_seconds / mpf;
  std::ostringstream on;
  on << "reel calibrate: " << m.width << "x" << m.height << "x" << m.frames << ", " << m.steps
     << " steps on " << m.device << (m.dtype.empty() ? "" : " " + m.dtype) << ", "
     << std::thread::hardware_concurrency() << " hardware threads; scaled to "
     << spec.defaults.steps << " steps";
  m.profile.measured_on = on.str();
  return m;
}

double dit_flops_per_step(const WanSpec& spec, const WanWork& work) {
  const int m = std::max(1, spec.size_multiple);  // VAE stride x patch 2: pixels per token side
  const double latent_frames = 1 + (std::max(1, work.frames) - 1) / 4;
  const double L = latent_frames * (work.height / m) * (work.width / m);
  const double d = spec.dit.dim, f = spec.dit.ffn_dim, C = spec.dit.text_len;
  const double block = 2 * L * d * d * 4     // self-attention q, k, v, o
                       + 2 * 2 * L * L * d   // scores and mixing
                       + 2 * L * d * d * 2   // cross-attention q, o
                       + 2 * C * d * d * 2   // cross-attention k, v of the text
                       + 2 * 2 * L * C * d   // cross-attention scores and mixing
                       + 2 * L * d * f * 2;  // FFN in and out
  return block * spec.dit.num_layers * (work.guided ? 2 : 1);
}

double estimate_seconds(const WanSpec& spec, const std::optional<Calibration>& calibration,
                        const WanWork& work) {
  const double mpf = work.width * double(work.height) / 1e6 * std::max(1, work.frames);
  const double dit_flops = dit_flops_per_step(spec, work) * work.steps;
  if (calibration && calibration->steps > 0 && calibration->width > 0 && calibration->height > 0) {
    const Calibration& c = *calibration;
    const WanWork measured{c.width, c.height, c.frames, c.steps, true};
    const double per_flop = c.dit_seconds / (dit_flops_per_step(spec, measured) * c.steps);
    const double cal_mpf = c.width * double(c.height) / 1e6 * std::max(1, c.frames);
    return c.profile.setup_seconds + per_flop * dit_flops + c.vae_seconds / cal_mpf * mpf;
  }
  const WanWork& run = spec.published_run;
  const double per_flop = spec.published_seconds / (dit_flops_per_step(spec, run) * run.steps);
  return per_flop * dit_flops;
}

Calibration calibrate(const WanSpec& spec, const WanOptions& options,
                      const CalibrateRequest& request, model::RunContext& ctx) {
  auto model = make_wan_model(spec, options);
  model::TextToVideoRequest r;
  r.prompt = "a red ball rolling on a wooden table, studio light";
  const int m = spec.size_multiple;
  auto small = [&](int side) { return std::max(m, (side / 4) / m * m); };
  r.width = request.width ? request.width : small(spec.defaults.width);
  r.height = request.height ? request.height : small(spec.defaults.height);
  r.fps = spec.defaults.fps;
  r.duration_seconds = request.frames / r.fps;
  r.params = {{"steps", request.steps}};
  auto& t2v = model::as_task<model::TextToVideo>(*model, model::Task::text_to_video);
  model::VideoResult v = t2v.generate_video(r, ctx);
  const Json& t = v.metadata["timings"];
  Calibration c;
  c.model = spec.id;
  c.device = options.device;
  c.dtype = options.dtype;
  c.width = v.video.width();
  c.height = v.video.height();
  c.frames = static_cast<int>(v.video.frames.size());
  c.steps = request.steps;
  c.t5_seconds = t.value("t5_seconds", 0.0);
  c.dit_seconds = t.value("dit_seconds", 0.0);
  c.vae_seconds = t.value("vae_seconds", 0.0);
  // The child's own total leaves out its process start; the adapter's wall clock has it.
  c.total_seconds = std::max(t.value("total_seconds", 0.0), t.value("wall_seconds", 0.0));
  if (c.total_seconds <= 0)
    throw Error(ErrorKind::Internal, "calibration: the run reported no timings");
  c = derive_calibration(spec, c);
  const fs::path file = calibration_file(options, spec.id);
  fs::create_directories(file.parent_path());
  write_file_atomic(file, c.to_json().dump(2) + "\n");
  return c;
}

}  // namespace reel::wan
