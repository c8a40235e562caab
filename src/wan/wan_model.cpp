// A Wan checkpoint as a registry model: validates and maps the request, checks the
// weights before anything runs, then runs `reel-neural generate` in a private temp
// folder and reads the frames back (process boundary: reel never links LibTorch).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <mutex>

#include "reel/core/error.hpp"
#include "reel/media/png.hpp"
#include "reel/model/limits.hpp"
#include "reel/neural/cpu_features.hpp"
#include "reel/neural/safetensors.hpp"
#include "reel/studio/animator.hpp"
#include "wan/wan_child.hpp"
#include "wan/wan_internal.hpp"
#include "wan/wan_request.hpp"

namespace reel::wan {
namespace fs = std::filesystem;
using detail::GenerateJob;

namespace {

constexpr std::string_view kTempPrefix = "reel-wan-";

// Removes run folders left by reel processes that died without unwinding (SIGKILL,
// OOM kill): reel-wan-<pid>-XXXXXX whose pid is gone. A live pid (or one reused by
// another process) keeps its folder; a folder of another user cannot be removed anyway.
void sweep_orphaned_run_folders(const fs::path& root) {
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(kTempPrefix)) continue;
    const std::string rest = name.substr(kTempPrefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0 || rest.find_first_not_of("0123456789") != dash)
      continue;  // not a name this code makes
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

// A private folder for one run's request, image and output; removed on every exit but
// SIGKILL, after which the next run's sweep removes it.
class TempDir {
 public:
  TempDir() {
    const fs::path root = fs::temp_directory_path();
    sweep_orphaned_run_folders(root);
    std::string tmpl =
        (root / (std::string(kTempPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data()))
      throw Error(ErrorKind::Io, "cannot create a temp folder under " + root.string());
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

double timing(const Json& done, const Json& metadata, const char* key) {
  if (auto it = done.find(key); it != done.end() && it->is_number()) return it->get<double>();
  if (auto it = metadata.find(key); it != metadata.end() && it->is_string()) {
    try {
      return std::stod(it->get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return 0.0;
}

media::Video read_frames(const fs::path& out, const GenerateJob& job, Json& timings,
                         const Json& done) {
  auto file = neural::SafetensorsFile::open(out);
  const neural::TensorInfo* t = file.find("frames");
  if (!t)
    throw Error(ErrorKind::Internal,
                "reel-neural generate wrote no 'frames' tensor to " + out.string());
  const std::vector<std::int64_t> want{job.frames, job.height, job.width, 3};
  if (t->dtype != neural::DType::u8 || t->shape != want) {
    std::string got;
    for (auto d : t->shape) got += (got.empty() ? "" : ", ") + std::to_string(d);
    throw Error(ErrorKind::Internal, "reel-neural generate returned frames " +
                                         std::string(neural::dtype_name(t->dtype)) + " [" + got +
                                         "]; expected U8 [" + std::to_string(job.frames) + ", " +
                                         std::to_string(job.height) + ", " +
                                         std::to_string(job.width) + ", 3]");
  }
  auto bytes = file.data(*t);
  media::Video v;
  v.fps = media::fps_to_rational(job.fps);
  const std::size_t px = std::size_t(job.width) * job.height;
  for (int f = 0; f < job.frames; ++f) {
    media::Image img(job.width, job.height);
    const std::uint8_t* src = bytes.data() + f * px * 3;
    std::uint8_t* dst = img.u8();
    for (std::size_t i = 0; i < px; ++i, src += 3, dst += 4) {
      dst[0] = src[0], dst[1] = src[1], dst[2] = src[2], dst[3] = 255;
    }
    v.frames.push_back(std::move(img));
  }
  for (const char* k : {"t5_seconds", "dit_seconds", "dit_steps", "vae_seconds", "total_seconds"})
    timings[k] = timing(done, file.metadata(), k);
  return v;
}

class WanModel final : public model::TextToVideo,
                       public model::ImageToVideo,
                       public model::TextToImage {
 public:
  WanModel(const WanSpec& spec, WanOptions options) : spec_(spec), options_(std::move(options)) {
    refresh();
  }

  const model::ModelCard& card() const override {
    std::lock_guard lock(mutex_);
    return *cards_.back();
  }

  // Weights, their fingerprint (part of the version, so of every cache key) and the
  // calibration are files: read here, not in card().
  void refresh() override {
    const auto folder = checkpoint_folder(spec_, options_);
    auto calibration = load_calibration(options_, spec_.id);
    model::ModelCard next = make_card(folder, calibration);
    std::lock_guard lock(mutex_);
    calibration_ = std::move(calibration);
    const model::ModelCard* now = cards_.empty() ? nullptr : cards_.back().get();
    if (now && now->to_json() == next.to_json()) return;
    // Older cards stay alive: callers may hold references to them.
    cards_.push_back(std::make_unique<model::ModelCard>(std::move(next)));
  }

  // The run as the adapter will resolve it: the model's own default size and 1 + 4k
  // frames, the asked sampling steps and guidance, priced by the calibration if any.
  double estimate_seconds(const model::PlannedCall& call) const override {
    GenerateJob job;
    try {
      detail::apply_params(spec_, call.params, job);
      detail::resolve_size(spec_, call.width, call.height, false, job);
      if (call.task == model::Task::text_to_image)
        job.frames = 1;
      else
        detail::resolve_frames(spec_, call.duration_seconds, call.fps, job);
    } catch (const Error&) {
      return Model::estimate_seconds(call);  // the run itself refuses it, with the reason
    }
    std::optional<Calibration> calibration;
    {
      std::lock_guard lock(mutex_);
      calibration = calibration_;
    }
    return wan::estimate_seconds(
        spec_, calibration, {job.width, job.height, job.frames, job.steps, job.guidance != 1.0});
  }

  model::EstimateSource estimate_source() const override {
    std::lock_guard lock(mutex_);
    return calibration_ ? model::EstimateSource::calibrated : model::EstimateSource::published;
  }

  // The model's default size when the call gives none (portrait for a portrait i2v image).
  model::Size output_size(const model::PlannedCall& call) const override {
    const auto image = call.input_sizes.find("image");
    const bool portrait = call.task == model::Task::image_to_video &&
                          image != call.input_sizes.end() &&
                          image->second.height > image->second.width;
    GenerateJob job;
    try {
      detail::resolve_size(spec_, call.width, call.height, portrait, job);
    } catch (const Error&) {
      return {call.width, call.height};  // check() refuses it, naming the rule
    }
    return {job.width, job.height};
  }

  // The run's request as the task methods build it, checked by the same functions (the
  // contract's validate_wan_request included); only the first frame is not made yet.
  void check(const model::PlannedCall& call) const override {
    GenerateJob job = text_job(call.prompt, call.negative_prompt, 0, call.params);
    job.task = call.task == model::Task::image_to_video  ? "i2v"
               : call.task == model::Task::text_to_video ? "t2v"
                                                         : "t2i";
    detail::resolve_size(spec_, call.width, call.height, false, job);
    if (job.task == "t2i")
      job.frames = 1;
    else
      detail::resolve_frames(spec_, call.duration_seconds, call.fps, job);
    detail::check_request(spec_, job);
  }

  model::VideoResult generate_video(const model::TextToVideoRequest& r,
                                    model::RunContext& ctx) override {
    GenerateJob job = text_job(r.prompt, r.negative_prompt, r.seed, r.params);
    job.task = "t2v";
    detail::resolve_size(spec_, r.width, r.height, false, job);
    detail::resolve_frames(spec_, r.duration_seconds, r.fps, job);
    return run(job, ctx);
  }

  model::VideoResult animate(const model::ImageToVideoRequest& r, model::RunContext& ctx) override {
    if (!card().supports(model::Task::image_to_video))
      throw Error(ErrorKind::InvalidInput, spec_.id + " does not do image_to_video; use " +
                                               "wan2.2-ti2v-5b or studio-animator");
    if (r.image.image.empty())
      throw Error(ErrorKind::InvalidInput, spec_.id + ": the image to animate is empty");
    GenerateJob job = text_job(r.motion, "", r.seed, r.params);
    job.task = "i2v";
    const media::Image& shape = r.background ? r.background->image : r.image.image;
    detail::resolve_size(spec_, r.width, r.height, shape.height() > shape.width(), job);
    detail::resolve_frames(spec_, r.duration_seconds, r.fps, job);
    // Before compositing: fail before spending anything.
    detail::check_request(spec_, job);
    check_checkpoint(spec_, options_);
    job.first_frame = studio::composite_first_frame(r, job.width, job.height);
    return run(job, ctx);
  }

  model::ImageResult generate(const model::TextToImageRequest& r, model::RunContext& ctx) override {
    GenerateJob job = text_job(r.prompt, r.negative_prompt, r.seed, r.params);
    job.task = "t2i";
    detail::resolve_size(spec_, r.width, r.height, false, job);
    job.frames = 1;
    job.fps = spec_.defaults.fps;
    model::VideoResult v = run(job, ctx);
    model::ImageResult out;
    out.image = std::move(v.video.frames.at(0));
    out.notes = std::move(v.notes);
    out.metadata = std::move(v.metadata);
    return out;
  }

 private:
  model::ModelCard make_card(const std::optional<fs::path>& folder,
                             const std::optional<Calibration>& cal) const {
    model::ModelCard c;
    c.id = spec_.id;
    // The weights' identity is part of the version, so cache keys change with them.
    c.version = "1+w" + detail::weights_fingerprint(folder.value_or(fs::path()));
    // A tiled VAE decode blends tiles: other pixels, so another cache identity. The dtype
    // changes pixels too; offload does not (bit-identical, reel-neural's tests).
    if (options_.vae_tile > 0)
      c.version +=
          "+t" + std::to_string(options_.vae_tile) + "o" + std::to_string(options_.vae_overlap);
    if (!options_.dtype.empty()) c.version += "+" + options_.dtype;
    // Unset, the child runs the DiT and umT5 in bf16 and the VAE in fp32 on CPUs with bf16
    // instructions (cpu_features.hpp): pixels of their own; fp32 runs keep their keys.
    else if (detail::device_kind(options_.device) == "cpu" &&
             neural::default_compute_dtype(neural::Device::cpu(), neural::cpu_features()) ==
                 neural::DType::bf16)
      c.version += "+bf16+vaefp32";
    c.name = spec_.name;
    c.publisher = "Wan-AI (Alibaba)";
    c.tasks = spec_.tasks;
    c.licence = "Apache-2.0";
    c.training_data = model::TrainingData::undisclosed;
    c.training_data_note = "not disclosed by the publisher";
    // The executor prices a run on the first device listed: the one runs use.
    const std::string kind = detail::device_kind(options_.device);
    c.devices = {kind, kind == "cuda" ? "cpu" : "cuda"};
    c.cost = cal ? cal->profile : spec_.published_cost;
    c.description = spec_.description;
    c.availability = availability(spec_, options_);
    return c;
  }

  GenerateJob text_job(const std::string& prompt, const std::string& negative, std::uint64_t seed,
                       const Json& params) const {
    const auto& limits = model::default_limits();
    model::check_prompt(prompt, limits, spec_.id, /*required=*/false);
    model::check_prompt(negative, limits, spec_.id + " negative prompt", false);
    GenerateJob job;
    job.prompt = prompt;
    job.negative_prompt = negative;
    job.seed = seed;
    detail::apply_params(spec_, params, job);
    return job;
  }

  model::VideoResult run(GenerateJob& job, model::RunContext& ctx) {
    detail::check_request(spec_, job);
    check_checkpoint(spec_, options_);
    const fs::path bin = find_reel_neural(options_);
    const fs::path folder = *checkpoint_folder(spec_, options_);
    ctx.check_cancelled();
    TempDir dir;
    const fs::path request = dir.path() / "request.json", image = dir.path() / "first_frame.png",
                   out = dir.path() / "out.safetensors";
    if (job.first_frame) media::write_png(image, *job.first_frame);
    {
      std::ofstream f(request);
      f << job.to_request(image.string()).dump(2);
      if (!f) throw Error(ErrorKind::Io, "cannot write " + request.string());
    }
    std::vector<std::string> argv{bin.string(), "generate",       "--folder", folder.string(),
                                  "--request",  request.string(), "--out",    out.string(),
                                  "--device",   options_.device};
    if (!options_.dtype.empty()) argv.insert(argv.end(), {"--dtype", options_.dtype});
    if (options_.offload) argv.push_back("--offload");
    if (options_.vae_tile > 0) {
      argv.insert(argv.end(), {"--tile", std::to_string(options_.vae_tile)});
      if (options_.vae_overlap > 0)
        argv.insert(argv.end(), {"--overlap", std::to_string(options_.vae_overlap)});
    }
    const auto t0 = std::chrono::steady_clock::now();
    detail::ChildResult r = with_context(spec_.id + ": running reel-neural generate", [&] {
      return detail::run_child(argv, ctx.cancel, options_.kill_grace,
                               [&](double f, std::string_view m) { ctx.progress(f, m); });
    });
    model::VideoResult result;
    Json timings = Json::object();
    result.video = read_frames(out, job, timings, r.done);
    // What the run cost from here, child start-up (LibTorch, ~0.5 s) included.
    timings["wall_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.notes = std::move(job.notes);
    result.metadata = {
        {"model", spec_.id},         {"task", job.task},         {"width", job.width},
        {"height", job.height},      {"frames", job.frames},     {"steps", job.steps},
        {"shift", job.shift},        {"guidance", job.guidance}, {"sampler", job.sampler},
        {"device", options_.device}, {"timings", timings}};
    return result;
  }

  const WanSpec& spec_;
  WanOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<model::ModelCard>> cards_;  // the last one is current
  std::optional<Calibration> calibration_;
};

}  // namespace

std::shared_ptr<model::Model> make_wan_model(const WanSpec& spec, WanOptions options) {
  return std::make_shared<WanModel>(spec, std::move(options));
}

void register_models(model::Registry& registry, const WanOptions& options) {
  for (const WanSpec& spec : wan_specs()) registry.add(make_wan_model(spec, options));
}

}  // namespace reel::wan
