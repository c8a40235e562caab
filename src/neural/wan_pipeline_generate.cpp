// wan_generate_files: `reel-neural generate` from files to a file.
#include <cstring>
#include <string>

#include "neural/wan_pipeline.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/safetensors.hpp"
#include "reel/neural/wan_generate.hpp"

namespace reel::neural {
namespace {

std::vector<std::uint8_t> bytes_of(const at::Tensor& t) {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(t.numel()) * t.element_size());
  std::memcpy(bytes.data(), t.data_ptr(), bytes.size());
  return bytes;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

}  // namespace

WanGenerateReport wan_generate_files(const WanGenerateOptions& o) {
  // 1. Everything that can be refused without a model: folder, request, configs.
  const WanFolderFiles files = locate_wan_folder(o.folder);
  const Json json = parse_json(read_file(o.request, 1 << 20), o.request.string());
  WanRequest request;
  try {
    request = parse_wan_request(json, files.model_type, o.request.parent_path());
  } catch (Error& e) {
    throw std::move(e.add_context("reading " + o.request.string()));
  }
  WanPipelineOptions popt;
  popt.offload_blocks = o.offload;
  popt.vae_dtype = o.vae_dtype;
  if (o.vae_tile > 0) popt.vae_tiling = {true, o.vae_tile, o.vae_overlap};
  WanPipeline pipeline(files, o.device, o.dtype, popt);
  pipeline.validate(request);

  // 2. The run.
  WanRunOptions run;
  run.on_progress = o.on_progress;
  run.cancel = o.cancel;
  WanVideo result = pipeline.generate(request, run);

  // 3. The output: nothing is written once the run is cancelled.
  if (o.cancel) o.cancel->check();
  WanGenerateReport report;
  const auto& t = result.timings;
  report.t5_seconds = t.t5_seconds;
  report.dit_seconds = t.dit_seconds;
  report.vae_seconds = t.vae_seconds;
  report.total_seconds = t.total_seconds;
  report.dit_steps = t.dit_steps;
  report.device = to_string(o.device);
  report.dtype = std::string(compute_dtype_name(o.dtype));
  report.vae_dtype = std::string(compute_dtype_name(o.vae_dtype.value_or(o.dtype)));
  std::vector<TensorToWrite> tensors;
  tensors.emplace_back("frames", DType::u8, result.frames.sizes().vec(), bytes_of(result.frames));
  if (o.debug_float)
    tensors.emplace_back("video", DType::f32, result.video.sizes().vec(), bytes_of(result.video));
  const Json metadata{{"t5_seconds", seconds(t.t5_seconds)},
                      {"dit_seconds", seconds(t.dit_seconds)},
                      {"dit_steps", std::to_string(t.dit_steps)},
                      {"vae_seconds", seconds(t.vae_seconds)},
                      {"total_seconds", seconds(t.total_seconds)},
                      {"device", report.device},
                      {"dtype", report.dtype},
                      {"vae_dtype", report.vae_dtype},
                      {"task", request.task},
                      {"seed", std::to_string(request.seed)},
                      {"sampler", request.sampler},
                      {"steps", std::to_string(request.steps)},
                      {"model_type", files.model_type}};
  if (o.on_writing) o.on_writing();
  write_safetensors(o.out, tensors, metadata);
  return report;
}

}  // namespace reel::neural
