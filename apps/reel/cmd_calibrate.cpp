// `reel calibrate MODEL`: measures a Wan model on this machine (one small generation
// through the same adapter runs use), stores the cost profile under
// $REEL_HOME/calibration/ and prints it with the priced estimate of a 10-second clip.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "args.hpp"
#include "commands.hpp"
#include "reel/catalog/catalog.hpp"
#include "reel/core/error.hpp"
#include "reel/core/units.hpp"
#include "reel/pipeline/ledger.hpp"
#include "reel/wan/wan.hpp"

namespace reel::cli {

int cmd_calibrate(const Argv& argv) {
  const std::string usage =
      "reel calibrate MODEL [--weights DIR|MODEL=DIR] [--device cpu|cuda] [--dtype T] "
      "[--offload] [--tile PX [--overlap PX]] [--width N --height N] [--frames N] [--steps N] "
      "[--prices FILE] [--json]";
  Args a(argv, {"--json", "--offload"},
         {"--device", "--dtype", "--width", "--height", "--frames", "--steps", "--prices", "--tile",
          "--overlap"},
         {"--weights"});
  a.max_positional(1, usage);
  const std::string id = a.need(0, "a model id; usage: " + usage);
  catalog::BackendOptions backends;
  {
    // Ids are checked against every family, so an unknown one lists them all.
    model::Registry registry;
    catalog::register_builtin_models(registry, backends);
    registry.get(id);
  }
  std::string measurable;  // the models that run on this machine's engine
  for (const auto& s : wan::wan_specs()) measurable += (measurable.empty() ? "" : ", ") + s.id;
  if (id.rfind("wan", 0) != 0)
    throw Error(ErrorKind::InvalidInput, "reel calibrate measures the models reel runs on " +
                                             std::string("this machine (") + measurable + "); " +
                                             id + " is priced from its card");
  const wan::WanSpec& spec = wan::wan_spec(id);
  wan::WanOptions o = backends.wan;
  for (const auto& w : a.values("--weights")) {
    // A bare folder that is itself a checkpoint (has config.json) is this model's.
    std::error_code ec;
    if (w.find('=') == std::string::npos &&
        std::filesystem::is_regular_file(std::filesystem::path(w) / "config.json", ec))
      o.folders[spec.id] = w;
    else
      o.add_weights_arg(w);
  }
  if (auto d = a.value("--device")) {
    if (*d != "cpu" && d->rfind("cuda", 0) != 0)
      throw Error(ErrorKind::InvalidInput, "--device " + *d + ": allowed cpu, cuda or cuda:N");
    o.device = *d;
  }
  if (auto t = a.value("--dtype")) o.dtype = *t;
  if (a.flag("--offload")) o.offload = true;
  if (auto v = a.value("--tile")) o.vae_tile = int(parse_integer(*v, "--tile", 1, 16384));
  if (auto v = a.value("--overlap")) o.vae_overlap = int(parse_integer(*v, "--overlap", 0, 16384));
  wan::CalibrateRequest req;
  if (auto v = a.value("--width")) req.width = int(parse_integer(*v, "--width", 16, 4096));
  if (auto v = a.value("--height")) req.height = int(parse_integer(*v, "--height", 16, 4096));
  if (auto v = a.value("--frames")) req.frames = int(parse_integer(*v, "--frames", 1, 321));
  if (auto v = a.value("--steps")) req.steps = int(parse_integer(*v, "--steps", 1, 1000));
  pipeline::PriceSheet prices = a.value("--prices")
                                    ? pipeline::PriceSheet::load(*a.value("--prices"))
                                    : pipeline::PriceSheet::defaults();
  const bool json = a.flag("--json");

  // A calibration is only as good as the backend it ran on: say which, before the minutes
  // (with --json, in the output: stderr stays empty there).
  const BackendSummary backend = neural_backend_summary();
  if (!json) {
    std::fprintf(stderr, "%s\n", backend.line.c_str());
    if (backend.warning) std::fprintf(stderr, "reel: warning: %s\n", backend.warning->c_str());
  }
  model::RunContext ctx;
  ctx.device = o.device;
  ctx.on_progress = [&](double f, std::string_view m) {
    if (!json)
      std::fprintf(stderr, "\rreel calibrate: %3.0f%% %.*s   ", f * 100, int(m.size()), m.data());
  };
  wan::Calibration c = wan::calibrate(spec, o, req, ctx);
  if (!json) std::fputc('\n', stderr);

  // A 10-second clip at the model's default size and frame rate, frames rounded to 1 + 4k.
  const auto& d = spec.defaults;
  const long frames = 1 + 4 * std::lround((10.0 * d.fps - 1) / 4.0);
  // Priced as the planner prices a run (FLOP-scaled DiT, so the quadratic attention of
  // the full-size clip counts), not by the linear per-megapixel profile.
  const double seconds = wan::estimate_seconds(
      spec, c, {d.width, d.height, static_cast<int>(frames), d.steps, d.guidance != 1.0});
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const Usd usd = prices.price(c.profile.device, Seconds(seconds), cores);
  if (json) {
    Json j = c.to_json();
    j["calibration_file"] = wan::calibration_file(o, spec.id).string();
    j["backend"] = backend.line;
    if (backend.warning) j["backend_warning"] = *backend.warning;
    j["clip_10s"] = {{"width", d.width},          {"height", d.height},
                     {"frames", frames},          {"fps", d.fps},
                     {"steps", d.steps},          {"estimated_seconds", seconds},
                     {"estimated_usd", usd.value}};
    print_json(j.dump(2));
    return 0;
  }
  std::printf("%s on %s%s: %dx%d, %d frames, %d steps\n", spec.id.c_str(), c.device.c_str(),
              c.dtype.empty() ? "" : (" " + c.dtype).c_str(), c.width, c.height, c.frames, c.steps);
  std::printf("  measured: t5 %.2f s, dit %.2f s (%.3f s/step), vae %.2f s, total %.2f s\n",
              c.t5_seconds, c.dit_seconds, c.dit_seconds / std::max(1, c.steps), c.vae_seconds,
              c.total_seconds);
  std::printf("  cost profile (%s): setup %.2f s + %.4f s per megapixel-frame at %d steps\n",
              c.profile.device.c_str(), c.profile.setup_seconds, c.profile.seconds_per_megapixel,
              d.steps);
  std::printf("  stored in %s\n", wan::calibration_file(o, spec.id).string().c_str());
  std::printf("  10-second clip (%dx%d, %ld frames at %g fps, %d steps): ~%s, ~%s\n", d.width,
              d.height, frames, d.fps, d.steps, format_seconds(Seconds(seconds)).c_str(),
              format_usd(usd).c_str());
  return 0;
}

}  // namespace reel::cli
