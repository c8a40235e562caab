#include "neural/wan_vae_weights.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <functional>
#include <map>

#include "neural/checkpoint_check.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/pth.hpp"
#include "reel/neural/safetensors.hpp"

namespace reel::neural {

namespace {

using Shape = std::vector<std::int64_t>;

struct Builder {
  std::vector<VaeParam>& out;
  void add(std::string name, at::Tensor& slot, Shape shape) {
    out.push_back({std::move(name), &slot, std::move(shape)});
  }
  void conv(const std::string& name, VaeConv& c, std::int64_t in, std::int64_t outd, Shape kernel) {
    Shape w{outd, in};
    w.insert(w.end(), kernel.begin(), kernel.end());
    add(name + ".weight", c.weight, w);
    add(name + ".bias", c.bias, {outd});
  }
  // RMS norm γ: [C, 1, 1, 1] on videos (images=False in the official code), [C, 1, 1] on
  // the per-frame attention input.
  void gamma(const std::string& name, at::Tensor& g, std::int64_t c, bool images) {
    add(name + ".gamma", g, images ? Shape{c, 1, 1} : Shape{c, 1, 1, 1});
  }
  void res_block(const std::string& p, VaeResBlock& r, std::int64_t in, std::int64_t outd) {
    gamma(p + ".residual.0", r.gamma1, in, false);
    conv(p + ".residual.2", r.conv1, in, outd, {3, 3, 3});
    gamma(p + ".residual.3", r.gamma2, outd, false);
    conv(p + ".residual.6", r.conv2, outd, outd, {3, 3, 3});
    if (in != outd) conv(p + ".shortcut", r.shortcut, in, outd, {1, 1, 1});
  }
  void attention(const std::string& p, VaeAttention& a, std::int64_t c) {
    gamma(p + ".norm", a.gamma, c, true);
    conv(p + ".to_qkv", a.to_qkv, c, 3 * c, {1, 1});
    conv(p + ".proj", a.proj, c, c, {1, 1});
  }
  // Wan2.1's upsampling conv halves the channels (the next stage starts at dim/2);
  // Wan2.2's keeps them.
  void resample(const std::string& p, VaeResample& r, std::int64_t dim, bool halve) {
    switch (r.mode) {
      case ResampleMode::up2d:
      case ResampleMode::up3d:
        conv(p + ".resample.1", r.conv, dim, halve ? dim / 2 : dim, {3, 3});
        if (r.mode == ResampleMode::up3d)
          conv(p + ".time_conv", r.time_conv, dim, 2 * dim, {3, 1, 1});
        break;
      case ResampleMode::down2d:
      case ResampleMode::down3d:
        conv(p + ".resample.1", r.conv, dim, dim, {3, 3});
        if (r.mode == ResampleMode::down3d)
          conv(p + ".time_conv", r.time_conv, dim, dim, {3, 1, 1});
        break;
      case ResampleMode::none:
        break;
    }
  }
  void middle_and_head(const std::string& p, VaeCoder& c, std::int64_t mid, std::int64_t head_in,
                       std::int64_t head_out) {
    res_block(p + ".middle.0", c.middle0, mid, mid);
    attention(p + ".middle.1", c.middle1, mid);
    res_block(p + ".middle.2", c.middle2, mid, mid);
    gamma(p + ".head.0", c.head_gamma, head_in, false);
    conv(p + ".head.2", c.head_conv, head_in, head_out, {3, 3, 3});
  }
};

bool flag_at(const std::vector<bool>& flags, std::size_t i) {
  return i < flags.size() && flags[i];
}

void encoder(Builder& b, const WanVaeConfig& c, VaeCoder& e) {
  const bool v22 = c.is_v22();
  std::vector<std::int64_t> dims{c.dim};
  for (int m : c.dim_mult) dims.push_back(std::int64_t{c.dim} * m);
  const std::int64_t in_channels = v22 ? 12 : 3;  // 2.2 sees the 2×2-patchified pixels
  b.conv("encoder.conv1", e.conv1, in_channels, dims[0], {3, 3, 3});
  const std::size_t stages = c.dim_mult.size();
  e.stages.resize(stages);
  int flat = 0;  // Wan2.1 numbers blocks and resamples in one flat Sequential
  for (std::size_t i = 0; i < stages; ++i) {
    auto& s = e.stages[i];
    s.in_dim = static_cast<int>(dims[i]);
    s.out_dim = static_cast<int>(dims[i + 1]);
    const bool down = i + 1 != stages;
    const bool down_t = flag_at(c.temporal_downsample, i);
    s.resample.mode =
        !down ? ResampleMode::none : (down_t ? ResampleMode::down3d : ResampleMode::down2d);
    s.has_shortcut = v22;
    s.factor_t = down_t && down ? 2 : 1;
    s.factor_s = down ? 2 : 1;
    std::int64_t in = dims[i];
    s.blocks.resize(static_cast<std::size_t>(c.num_res_blocks));
    for (int j = 0; j < c.num_res_blocks; ++j) {
      const std::string p =
          v22 ? "encoder.downsamples." + std::to_string(i) + ".downsamples." + std::to_string(j)
              : "encoder.downsamples." + std::to_string(flat++);
      b.res_block(p, s.blocks[static_cast<std::size_t>(j)], in, dims[i + 1]);
      in = dims[i + 1];
    }
    if (down) {
      const std::string p = v22 ? "encoder.downsamples." + std::to_string(i) + ".downsamples." +
                                      std::to_string(c.num_res_blocks)
                                : "encoder.downsamples." + std::to_string(flat++);
      b.resample(p, s.resample, dims[i + 1], false);
    }
  }
  b.middle_and_head("encoder", e, dims.back(), dims.back(), 2 * std::int64_t{c.z_dim});
}

void decoder(Builder& b, const WanVaeConfig& c, VaeCoder& d) {
  const bool v22 = c.is_v22();
  const std::size_t stages = c.dim_mult.size();
  std::vector<std::int64_t> dims{std::int64_t{c.decoder_dim} * c.dim_mult.back()};
  for (std::size_t i = stages; i-- > 0;)
    dims.push_back(std::int64_t{c.decoder_dim} * c.dim_mult[i]);
  std::vector<bool> up_t(c.temporal_downsample.rbegin(), c.temporal_downsample.rend());
  b.conv("decoder.conv1", d.conv1, c.z_dim, dims[0], {3, 3, 3});
  d.stages.resize(stages);
  int flat = 0;
  for (std::size_t i = 0; i < stages; ++i) {
    auto& s = d.stages[i];
    const bool up = i + 1 != stages;
    const bool up_time = flag_at(up_t, i);
    // Wan2.1: the previous stage's upsampling conv halved the channels.
    std::int64_t in = (!v22 && i > 0) ? dims[i] / 2 : dims[i];
    s.in_dim = static_cast<int>(in);
    s.out_dim = static_cast<int>(dims[i + 1]);
    s.resample.mode =
        !up ? ResampleMode::none : (up_time ? ResampleMode::up3d : ResampleMode::up2d);
    s.has_shortcut = v22 && up;
    s.factor_t = up_time && up ? 2 : 1;
    s.factor_s = up ? 2 : 1;
    const int blocks = c.num_res_blocks + 1;
    s.blocks.resize(static_cast<std::size_t>(blocks));
    for (int j = 0; j < blocks; ++j) {
      const std::string p =
          v22 ? "decoder.upsamples." + std::to_string(i) + ".upsamples." + std::to_string(j)
              : "decoder.upsamples." + std::to_string(flat++);
      b.res_block(p, s.blocks[static_cast<std::size_t>(j)], in, dims[i + 1]);
      in = dims[i + 1];
    }
    if (up) {
      const std::string p =
          v22 ? "decoder.upsamples." + std::to_string(i) + ".upsamples." + std::to_string(blocks)
              : "decoder.upsamples." + std::to_string(flat++);
      b.resample(p, s.resample, dims[i + 1], !v22);
    }
  }
  b.middle_and_head("decoder", d, dims[0], dims.back(), v22 ? 12 : 3);
}

// One checkpoint entry, whichever container it came from.
struct Entry {
  DType dtype;
  Shape shape;
  std::function<std::vector<float>()> values;
};

std::map<std::string, Entry> checkpoint_entries(const std::filesystem::path& path,
                                                std::shared_ptr<void>& keep) {
  std::map<std::string, Entry> out;
  if (path.extension() == ".pth" || path.extension() == ".pt" || path.extension() == ".bin") {
    auto file = std::make_shared<PthFile>(PthFile::open(path));
    keep = file;
    for (const auto& t : file->tensors()) {
      const PthTensor* tp = &t;
      out.emplace(t.name, Entry{t.dtype, t.shape, [file, tp] { return file->to_f32(*tp); }});
    }
    return out;
  }
  auto file = std::make_shared<SafetensorsCheckpoint>(SafetensorsCheckpoint::open(path));
  keep = file;
  for (const auto& name : file->names()) {
    const TensorInfo* info = file->find(name);
    out.emplace(name, Entry{info->dtype, info->shape, [file, name] { return file->to_f32(name); }});
  }
  return out;
}

}  // namespace

std::vector<VaeParam> wan_vae_parameters(const WanVaeConfig& config, WanVaeWeights& weights) {
  std::vector<VaeParam> params;
  Builder b{params};
  encoder(b, config, weights.encoder);
  const std::int64_t z = config.z_dim;
  b.conv("conv1", weights.conv1, 2 * z, 2 * z, {1, 1, 1});
  b.conv("conv2", weights.conv2, z, z, {1, 1, 1});
  decoder(b, config, weights.decoder);
  return params;
}

void load_wan_vae_weights(const std::filesystem::path& path, std::vector<VaeParam>& params,
                          c10::Device device, at::ScalarType dtype) {
  const std::string what = "VAE weights " + path.string();
  if (!std::filesystem::exists(path)) {
    throw Error(ErrorKind::NotFound, what +
                                         ": no such file (expected an official .pth such as "
                                         "Wan2.1_VAE.pth / Wan2.2_VAE.pth, or a .safetensors)");
  }
  std::shared_ptr<void> keep;
  auto entries = checkpoint_entries(path, keep);

  std::map<std::string, std::size_t, std::less<>> by_name;
  for (std::size_t i = 0; i < params.size(); ++i) by_name.emplace(params[i].name, i);
  CheckpointMismatch mismatch;
  for (const auto& [name, e] : entries) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      mismatch.unexpected.push_back(name);
      continue;
    }
    if (e.shape != params[it->second].shape) {
      mismatch.add_misshaped(name, e.shape, params[it->second].shape);
    }
    if (!torch_float_dtype(e.dtype)) mismatch.add_bad_dtype(name, e.dtype);
  }
  for (const auto& p : params) {
    if (entries.find(p.name) == entries.end()) mismatch.missing.push_back(p.name);
  }
  mismatch.throw_if_any("Wan VAE", "F32, F16, BF16", what);
  for (auto& p : params) {
    auto values = entries.at(p.name).values();
    *p.slot = at::from_blob(values.data(), p.shape, at::kFloat).to(device, dtype, false, true);
  }
}

void init_wan_vae_weights_random(std::vector<VaeParam>& params, c10::Device device,
                                 at::ScalarType dtype, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& p : params) {
    const std::string_view n = p.name;
    at::Tensor t;
    if (n.ends_with(".gamma")) {
      t = at::normal(1.0, 0.1, p.shape, gen);
    } else if (n.ends_with(".bias")) {
      t = at::normal(0.0, 0.02, p.shape, gen);
    } else {
      std::int64_t fan_in = 1;
      for (std::size_t k = 1; k < p.shape.size(); ++k) fan_in *= p.shape[k];
      t = at::normal(0.0, 1.0 / std::sqrt(static_cast<double>(fan_in)), p.shape, gen);
    }
    *p.slot = t.to(device, dtype);
  }
}

}  // namespace reel::neural
