// WanPipeline: prompt → umT5 → flow_sample with the DiT → VAE decode → uint8 frames.
#include "neural/wan_pipeline.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "neural/flow_sampler.hpp"
#include "neural/runtime.hpp"
#include "neural/wan_dit.hpp"
#include "reel/core/error.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/ops.hpp"
#include "reel/neural/tokenizer.hpp"

namespace reel::neural {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Progress shares of the whole run (measured on the tiny folders and the official
// models, the DiT steps dominate; the VAE decode is the next largest).
constexpr double kT5End = 0.02;
constexpr double kDitEnd = 0.87;

}  // namespace

at::Tensor wan_noise(std::uint64_t seed, at::IntArrayRef shape) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
}

at::Tensor video_to_frames(const at::Tensor& video) {
  // [3, T, H, W] → [T, H, W, 3]
  at::Tensor v = video.detach().to(at::kCPU, at::kFloat).clamp(-1.0, 1.0);
  return ((v + 1.0) * 127.5).round().to(at::kByte).permute({1, 2, 3, 0}).contiguous();
}

at::Tensor image_to_video_tensor(const media::Image& image, int width, int height) {
  media::Image rgba = image.to_u8();
  if (rgba.width() != width || rgba.height() != height) {
    const double scale = std::max(static_cast<double>(width) / rgba.width(),
                                  static_cast<double>(height) / rgba.height());
    const int sw = std::max(width, static_cast<int>(std::ceil(rgba.width() * scale - 1e-9)));
    const int sh = std::max(height, static_cast<int>(std::ceil(rgba.height() * scale - 1e-9)));
    const auto filter = scale < 1.0 ? media::Filter::area : media::Filter::bilinear;
    media::Image scaled = media::resize(rgba, sw, sh, filter).to_u8();
    media::Image crop(width, height);
    const int x0 = (sw - width) / 2, y0 = (sh - height) / 2;
    for (int y = 0; y < height; ++y)
      std::memcpy(crop.u8_pixel(0, y), scaled.u8_pixel(x0, y + y0), static_cast<size_t>(width) * 4);
    rgba = std::move(crop);
  }
  // [H, W, 4] uint8 → [1, 3, 1, H, W] fp32 in [-1, 1]
  at::Tensor px = at::from_blob(rgba.u8(), {height, width, 4}, at::kByte).clone();
  return px.slice(2, 0, 3)
      .permute({2, 0, 1})
      .to(at::kFloat)
      .div(127.5)
      .sub(1.0)
      .unsqueeze(0)
      .unsqueeze(2)
      .contiguous();
}

WanPipeline::WanPipeline(WanFolderFiles files, Device device, DType compute,
                         WanPipelineOptions options)
    : files_(std::move(files)),
      configs_(load_wan_folder_configs(files_)),
      device_(device),
      compute_(compute),
      options_(options) {
  // Refused now rather than after the DiT has run (InvalidInput from the VAE's own check).
  WanVAE(configs_.vae, Device::cpu(), DType::f32).set_tiling(options_.vae_tiling);
}

int WanPipeline::spatial_multiple() const {
  return configs_.vae.spatial_factor() *
         static_cast<int>(std::max(configs_.dit.patch_size[1], configs_.dit.patch_size[2]));
}

void WanPipeline::validate(const WanRequest& request) const {
  validate_wan_request(request, files_.model_type, spatial_multiple(),
                       configs_.vae.temporal_factor());
}

WanVideo WanPipeline::generate(const WanRequest& request, const WanRunOptions& options) {
  validate(request);
  const auto start = Clock::now();
  const auto progress = [&](double fraction, const std::string& message) {
    if (options.on_progress) options.on_progress(fraction, message);
  };
  const auto check_cancel = [&] {
    if (options.cancel) options.cancel->check();
  };
  init_threads();
  torch::NoGradGuard no_grad;
  const auto device = to_torch(device_);
  WanVideo out;
  WanTimings& timings = out.timings;

  // The image is read before any model loads, so a bad file fails in milliseconds.
  at::Tensor image;
  if (request.task == "i2v")
    image = image_to_video_tensor(media::read_image(request.image), request.width, request.height);

  // 1. Text: both prompts through umT5, then the encoder is freed before the DiT loads.
  check_cancel();
  progress(0.0, "encoding the prompt");
  auto stage = Clock::now();
  at::Tensor context, context_null;
  {
    const auto tokenizer = SentencePieceTokenizer::open(files_.tokenizer);
    UMT5Encoder t5(configs_.t5, device_, compute_);
    t5.load(files_.t5_weights);
    const auto text_len = static_cast<std::size_t>(configs_.dit.text_len);
    context = t5.encode(tokenizer, request.prompt, text_len).to(at::kFloat);
    check_cancel();
    if (request.guidance != 1.0)
      context_null =
          t5.encode(tokenizer, request.effective_negative_prompt(), text_len).to(at::kFloat);
  }
  timings.t5_seconds = seconds_since(stage);
  progress(kT5End, "prompt encoded");

  // 2. Latent geometry and the seeded noise [z, 1 + (T - 1)/4, H/f, W/f].
  const auto& vae_cfg = configs_.vae;
  const int f = vae_cfg.spatial_factor();
  const std::int64_t latent_frames = 1 + (request.frames - 1) / vae_cfg.temporal_factor();
  FlowSampleInputs in;
  in.noise = wan_noise(request.seed,
                       {configs_.dit.out_dim, latent_frames, request.height / f, request.width / f})
                 .to(device);
  in.context = context;
  in.context_null = context_null;
  in.patch_size = configs_.dit.patch_size;

  // 3. TI2V image-to-video: the image's latent becomes latent frame 0.
  std::optional<WanVAE> vae;
  double vae_seconds = 0;
  if (request.task == "i2v") {
    check_cancel();
    progress(kT5End, "encoding the first frame");
    stage = Clock::now();
    vae.emplace(vae_cfg, device_, options_.vae_dtype.value_or(compute_));
    vae->load(files_.vae_weights);
    in.first_frame = vae->encode(image.to(device)).to(at::kFloat)[0];  // [z, 1, h, w]
    vae.reset();  // the DiT comes next; the VAE is loaded again for the decode
    vae_seconds += seconds_since(stage);
  }

  // 4. The DiT sampling loop.
  check_cancel();
  stage = Clock::now();
  at::Tensor latent;
  {
    WanDiT dit(configs_.dit, device_, compute_, WanDiTOptions{options_.offload_blocks});
    dit.load(files_.dit_weights);
    FlowSampleOptions opt;
    opt.solver = parse_flow_solver(request.sampler);
    opt.steps = request.steps;
    opt.shift = request.shift;
    opt.guidance = request.guidance;
    opt.cancel = options.cancel;
    opt.on_step = [&](const FlowStep& s) {
      timings.dit_steps = s.index + 1;
      progress(kT5End + (kDitEnd - kT5End) * (s.index + 1) / s.total,
               "step " + std::to_string(s.index + 1) + "/" + std::to_string(s.total));
    };
    FlowDenoiser denoiser = [&](const torch::Tensor& x, const torch::Tensor& t,
                                const torch::Tensor& ctx) { return dit.forward(x, t, ctx); };
    latent = flow_sample(denoiser, in, opt).to(at::kFloat);  // [z, F, h, w]
  }
  timings.dit_seconds = seconds_since(stage);

  // 5. Decode to pixels.
  check_cancel();
  progress(kDitEnd, "decoding");
  stage = Clock::now();
  vae.emplace(vae_cfg, device_, options_.vae_dtype.value_or(compute_));
  vae->load(files_.vae_weights);
  vae->set_tiling(options_.vae_tiling);
  const auto on_chunk = [&](int done, int total) {
    check_cancel();
    if (total > 0)
      progress(kDitEnd + (1.0 - kDitEnd) * std::min(1.0, static_cast<double>(done) / total),
               "decoding " + std::to_string(done) + "/" + std::to_string(total));
  };
  at::Tensor video = vae->decode(latent.unsqueeze(0), on_chunk)[0];  // [3, T, H, W]
  vae.reset();
  out.video = video.to(at::kCPU, at::kFloat).contiguous();
  out.frames = video_to_frames(out.video);
  timings.vae_seconds = vae_seconds + seconds_since(stage);
  timings.total_seconds = seconds_since(start);
  return out;
}

}  // namespace reel::neural
