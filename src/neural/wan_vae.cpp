#include "neural/wan_vae.hpp"

#include <algorithm>

#include "neural/runtime.hpp"
#include "neural/tool_inputs.hpp"
#include "neural/wan_vae_blocks.hpp"
#include "neural/wan_vae_weights.hpp"
#include "reel/core/error.hpp"

namespace reel::neural {

namespace {

[[noreturn]] void bad_input(const std::string& message) {
  throw Error(ErrorKind::InvalidInput, message);
}

// Start/end pairs covering [0, total) with windows of `tile` overlapping by `overlap`.
std::vector<std::pair<std::int64_t, std::int64_t>> tile_spans(std::int64_t total, std::int64_t tile,
                                                              std::int64_t overlap) {
  if (tile >= total) return {{0, total}};
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  const std::int64_t stride = tile - overlap;
  for (std::int64_t start = 0;; start += stride) {
    const std::int64_t end = std::min(start + tile, total);
    // The last window is pulled back to full width so no tile is a thin sliver.
    spans.emplace_back(std::max<std::int64_t>(0, end - tile), end);
    if (end >= total) break;
  }
  return spans;
}

// Blend weights along one axis of a tile: linear ramps (k+1)/(n+1) over `rise` samples at
// the start and `fall` at the end, so two overlapping tiles' weights sum to 1 everywhere.
at::Tensor ramp(std::int64_t length, std::int64_t rise, std::int64_t fall) {
  std::vector<float> w(static_cast<std::size_t>(length), 1.0f);
  for (std::int64_t k = 0; k < rise && k < length; ++k) {
    w[static_cast<std::size_t>(k)] = static_cast<float>(k + 1) / static_cast<float>(rise + 1);
  }
  for (std::int64_t k = 0; k < fall && k < length; ++k) {
    auto& v = w[static_cast<std::size_t>(length - 1 - k)];
    v = std::min(v, static_cast<float>(k + 1) / static_cast<float>(fall + 1));
  }
  return at::tensor(w, at::kFloat);
}

// Runs `fn` on overlapping spatial tiles of `input` and blends the results. The tile grid is
// in latent pixels (`tile`, `overlap`); `in_unit` / `out_unit` are how many input / output
// pixels one latent pixel spans (decode: 1 / f, encode: f / 1). Each tile is weighted by
// linear ramps over its overlaps with neighbouring tiles (the frame's own border keeps
// weight 1) and the sum normalised by the summed weights.
at::Tensor run_tiled(const at::Tensor& input, std::int64_t tile, std::int64_t overlap,
                     std::int64_t in_unit, std::int64_t out_unit,
                     const std::function<at::Tensor(const at::Tensor&, int, int)>& fn) {
  const auto h = input.size(3) / in_unit, w = input.size(4) / in_unit;
  const auto hs = tile_spans(h, tile, overlap), ws = tile_spans(w, tile, overlap);
  const int tiles = static_cast<int>(hs.size() * ws.size());
  auto before = [](const auto& spans, std::size_t i) {
    return i > 0 ? spans[i - 1].second - spans[i].first : std::int64_t{0};
  };
  auto after = [](const auto& spans, std::size_t i) {
    return i + 1 < spans.size() ? spans[i].second - spans[i + 1].first : std::int64_t{0};
  };
  const std::int64_t u = out_unit;
  at::Tensor acc, wsum;
  int index = 0;
  for (std::size_t i = 0; i < hs.size(); ++i) {
    for (std::size_t j = 0; j < ws.size(); ++j) {
      const auto [h0, h1] = hs[i];
      const auto [w0, w1] = ws[j];
      auto part =
          fn(input.slice(3, h0 * in_unit, h1 * in_unit).slice(4, w0 * in_unit, w1 * in_unit),
             index++, tiles);
      if (!acc.defined()) {
        acc = at::zeros({part.size(0), part.size(1), part.size(2), h * u, w * u}, part.options());
        wsum = at::zeros({h * u, w * u}, part.options());
      }
      auto rh = ramp((h1 - h0) * u, before(hs, i) * u, after(hs, i) * u);
      auto rw = ramp((w1 - w0) * u, before(ws, j) * u, after(ws, j) * u);
      auto mask = (rh.unsqueeze(1) * rw.unsqueeze(0)).to(part.device());
      acc.slice(3, h0 * u, h1 * u).slice(4, w0 * u, w1 * u).add_(part * mask);
      wsum.slice(0, h0 * u, h1 * u).slice(1, w0 * u, w1 * u).add_(mask);
    }
  }
  return acc / wsum.clamp_min(1e-6);
}

}  // namespace

WanVAE::WanVAE(WanVaeConfig config, Device device, DType compute)
    : config_(std::move(config)),
      device_(device),
      compute_(compute),
      scalar_(to_scalar_type(compute)),
      weights_(std::make_unique<WanVaeWeights>()) {
  config_.validate();
  init_threads();
  (void)to_torch(device_);  // Unsupported now rather than at the first encode
}

WanVAE::~WanVAE() = default;
WanVAE::WanVAE(WanVAE&&) noexcept = default;
WanVAE& WanVAE::operator=(WanVAE&&) noexcept = default;

void WanVAE::load(const std::filesystem::path& weights) {
  auto params = wan_vae_parameters(config_, *weights_);
  load_wan_vae_weights(weights, params, to_torch(device_), scalar_);
  loaded_ = true;
}

void WanVAE::init_random(std::uint64_t seed) {
  auto params = wan_vae_parameters(config_, *weights_);
  init_wan_vae_weights_random(params, to_torch(device_), scalar_, seed);
  loaded_ = true;
}

void WanVAE::set_tiling(WanVaeTiling tiling) {
  if (tiling.enabled) {
    const int f = config_.spatial_factor();
    if (tiling.tile <= 0 || tiling.tile % f != 0 || tiling.overlap < 0 || tiling.overlap % f != 0 ||
        tiling.overlap >= tiling.tile) {
      bad_input("VAE tiling: tile " + std::to_string(tiling.tile) + " and overlap " +
                std::to_string(tiling.overlap) + " must be multiples of " + std::to_string(f) +
                " pixels with 0 ≤ overlap < tile");
    }
  }
  tiling_ = tiling;
}

at::Tensor WanVAE::encode(const at::Tensor& video, const std::function<void(int, int)>& on_chunk) {
  if (!loaded_) throw Error(ErrorKind::InvalidInput, "Wan VAE: encode before load/init_random");
  const int f = config_.spatial_factor(), ft = config_.temporal_factor();
  const std::string expected = "[B, 3, 1 + " + std::to_string(ft) + "k, H, W] with H and W " +
                               "multiples of " + std::to_string(f);
  if (video.dim() != 5 || video.size(1) != 3) {
    bad_input("VAE encode: video has shape " + shape_string(video.sizes().vec()) + ", expected " +
              expected);
  }
  const auto T = video.size(2), H = video.size(3), W = video.size(4);
  if (T < 1 || (T - 1) % ft != 0) {
    bad_input("VAE encode: " + std::to_string(T) + " frames; expected 1 + " + std::to_string(ft) +
              "k frames (1, 5, 9, ...)");
  }
  if (H < f || W < f || H % f != 0 || W % f != 0) {
    bad_input("VAE encode: frame size " + std::to_string(W) + "x" + std::to_string(H) +
              " (WxH); width and height must be positive multiples of " + std::to_string(f));
  }
  at::NoGradGuard no_grad;
  auto x = video.to(to_torch(device_), scalar_);
  if (tiling_.enabled) return encode_tiled(x, on_chunk);
  return encode_whole(x, on_chunk, 0, static_cast<int>(1 + (T - 1) / ft));
}

at::Tensor WanVAE::encode_whole(const at::Tensor& video,
                                const std::function<void(int, int)>& on_chunk, int chunk_offset,
                                int chunk_total) {
  const int ft = config_.temporal_factor();
  auto x = config_.is_v22() ? vae_patchify(video) : video;
  const int chunks = static_cast<int>(1 + (x.size(2) - 1) / ft);
  VaeCache cache;
  std::vector<at::Tensor> outs;
  for (int i = 0; i < chunks; ++i) {
    // The official chunking: the first frame alone, then one latent frame's worth.
    auto chunk = i == 0 ? x.slice(2, 0, 1) : x.slice(2, 1 + ft * (i - 1), 1 + ft * i);
    outs.push_back(vae_encoder_chunk(chunk, weights_->encoder, cache));
    if (on_chunk) on_chunk(chunk_offset + i + 1, chunk_total);
  }
  auto out = at::cat(outs, 2);
  outs.clear();
  auto mu =
      vae_causal_conv(out, weights_->conv1, nullptr).slice(1, 0, config_.z_dim).to(at::kFloat);
  auto opts = mu.options();
  auto mean = at::tensor(config_.mean, opts).view({1, -1, 1, 1, 1});
  auto inv_std = (1.0 / at::tensor(config_.std, opts)).view({1, -1, 1, 1, 1});
  return (mu - mean) * inv_std;
}

at::Tensor WanVAE::decode(const at::Tensor& latent, const std::function<void(int, int)>& on_chunk) {
  if (!loaded_) throw Error(ErrorKind::InvalidInput, "Wan VAE: decode before load/init_random");
  const std::string expected = "[B, " + std::to_string(config_.z_dim) + ", F, h, w]";
  if (latent.dim() != 5 || latent.size(1) != config_.z_dim || latent.size(2) < 1 ||
      latent.size(3) < 1 || latent.size(4) < 1) {
    bad_input("VAE decode: latent has shape " + shape_string(latent.sizes().vec()) + ", expected " +
              expected);
  }
  at::NoGradGuard no_grad;
  auto z = latent.to(to_torch(device_), at::kFloat);
  auto opts = z.options();
  auto mean = at::tensor(config_.mean, opts).view({1, -1, 1, 1, 1});
  auto inv_std = (1.0 / at::tensor(config_.std, opts)).view({1, -1, 1, 1, 1});
  z = (z / inv_std + mean).to(scalar_);  // as the official z / scale[1] + scale[0]
  if (tiling_.enabled) return decode_tiled(z, on_chunk);
  return decode_whole(z, on_chunk, 0, static_cast<int>(z.size(2)));
}

at::Tensor WanVAE::decode_whole(const at::Tensor& z, const std::function<void(int, int)>& on_chunk,
                                int chunk_offset, int chunk_total) {
  auto x = vae_causal_conv(z, weights_->conv2, nullptr);
  VaeCache cache;
  std::vector<at::Tensor> outs;
  for (std::int64_t i = 0; i < x.size(2); ++i) {
    outs.push_back(vae_decoder_chunk(x.slice(2, i, i + 1), weights_->decoder, cache));
    if (on_chunk) on_chunk(chunk_offset + static_cast<int>(i) + 1, chunk_total);
  }
  auto out = at::cat(outs, 2);
  outs.clear();
  if (config_.is_v22()) out = vae_unpatchify(out);
  return out.to(at::kFloat).clamp_(-1.0, 1.0);
}

at::Tensor WanVAE::decode_tiled(const at::Tensor& z,
                                const std::function<void(int, int)>& on_chunk) {
  const int f = config_.spatial_factor();
  const int chunks = static_cast<int>(z.size(2));
  return run_tiled(z, tiling_.tile / f, tiling_.overlap / f, 1, f,
                   [&](const at::Tensor& part, int index, int tiles) {
                     return decode_whole(part, on_chunk, index * chunks, tiles * chunks);
                   });
}

at::Tensor WanVAE::encode_tiled(const at::Tensor& video,
                                const std::function<void(int, int)>& on_chunk) {
  const int f = config_.spatial_factor();
  const int chunks = static_cast<int>(1 + (video.size(2) - 1) / config_.temporal_factor());
  return run_tiled(video, tiling_.tile / f, tiling_.overlap / f, f, 1,
                   [&](const at::Tensor& part, int index, int tiles) {
                     return encode_whole(part, on_chunk, index * chunks, tiles * chunks);
                   });
}

}  // namespace reel::neural
