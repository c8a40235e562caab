#include "neural/wan_weights.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "neural/checkpoint_check.hpp"
#include "neural/runtime.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/safetensors.hpp"

namespace reel::neural {

namespace {

using Shape = std::vector<std::int64_t>;

struct Builder {
  std::vector<WanParam>& out;
  int block = -1;
  void add(std::string name, at::Tensor& slot, Shape shape, bool keep_fp32 = false) {
    out.push_back({std::move(name), &slot, std::move(shape), keep_fp32, block});
  }
  void linear(const std::string& name, Linear& l, std::int64_t in, std::int64_t outd,
              bool keep_fp32 = false) {
    add(name + ".weight", l.weight, {outd, in}, keep_fp32);
    add(name + ".bias", l.bias, {outd}, keep_fp32);
  }
};

void attention(Builder& b, const std::string& p, WanAttentionWeights& a, std::int64_t dim,
               bool image) {
  b.linear(p + ".q", a.q, dim, dim);
  b.linear(p + ".k", a.k, dim, dim);
  b.linear(p + ".v", a.v, dim, dim);
  b.linear(p + ".o", a.o, dim, dim);
  b.add(p + ".norm_q.weight", a.norm_q, {dim}, true);
  b.add(p + ".norm_k.weight", a.norm_k, {dim}, true);
  if (image) {
    b.linear(p + ".k_img", a.k_img, dim, dim);
    b.linear(p + ".v_img", a.v_img, dim, dim);
    b.add(p + ".norm_k_img.weight", a.norm_k_img, {dim}, true);
  }
}

// Diffusers-style names (WanTransformer3DModel) → official names. Prefixes are
// matched on the part after "blocks.N." for block keys and on the whole key otherwise.
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kTopAliases{{
    {"condition_embedder.time_embedder.linear_1.", "time_embedding.0."},
    {"condition_embedder.time_embedder.linear_2.", "time_embedding.2."},
    {"condition_embedder.time_proj.", "time_projection.1."},
    {"condition_embedder.text_embedder.linear_1.", "text_embedding.0."},
    {"condition_embedder.text_embedder.linear_2.", "text_embedding.2."},
    {"condition_embedder.image_embedder.norm1.", "img_emb.proj.0."},
    {"condition_embedder.image_embedder.ff.net.0.proj.", "img_emb.proj.1."},
    {"condition_embedder.image_embedder.ff.net.2.", "img_emb.proj.3."},
    {"condition_embedder.image_embedder.norm2.", "img_emb.proj.4."},
    {"condition_embedder.image_embedder.pos_embed", "img_emb.emb_pos"},
    {"proj_out.", "head.head."},
    {"scale_shift_table", "head.modulation"},
    {"patch_embedding.", "patch_embedding."},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kBlockAliases{{
    {"attn1.to_q.", "self_attn.q."},
    {"attn1.to_k.", "self_attn.k."},
    {"attn1.to_v.", "self_attn.v."},
    {"attn1.to_out.0.", "self_attn.o."},
    {"attn1.norm_q.", "self_attn.norm_q."},
    {"attn1.norm_k.", "self_attn.norm_k."},
    {"attn2.to_q.", "cross_attn.q."},
    {"attn2.to_k.", "cross_attn.k."},
    {"attn2.to_v.", "cross_attn.v."},
    {"attn2.to_out.0.", "cross_attn.o."},
    {"attn2.norm_q.", "cross_attn.norm_q."},
    {"attn2.norm_k.", "cross_attn.norm_k."},
    {"attn2.add_k_proj.", "cross_attn.k_img."},
    {"attn2.add_v_proj.", "cross_attn.v_img."},
    {"attn2.norm_added_k.", "cross_attn.norm_k_img."},
    {"norm2.", "norm3."},
    {"ffn.net.0.proj.", "ffn.0."},
    {"ffn.net.2.", "ffn.2."},
}};

std::string translate(std::string_view key, const auto& aliases) {
  for (const auto& [from, to] : aliases) {
    if (key.starts_with(from)) return std::string(to) + std::string(key.substr(from.size()));
  }
  return std::string(key);
}

bool offloaded(const WanParam& p, const WanPlacement& placement) {
  return placement.offload_blocks && p.block >= 0;
}

at::TensorOptions target_options(const WanParam& p, const WanPlacement& placement) {
  auto dtype = p.keep_fp32 ? at::kFloat : placement.compute;
  auto device = offloaded(p, placement) ? c10::Device(c10::kCPU) : placement.device;
  return at::TensorOptions().dtype(dtype).device(device);
}

// Host tensors that feed a GPU are pinned so block copies can run asynchronously.
at::Tensor place(at::Tensor cpu, const WanParam& p, const WanPlacement& placement) {
  auto options = target_options(p, placement);
  auto converted = cpu.to(options.dtype().toScalarType());
  if (options.device().is_cpu()) {
    if (placement.device.is_cuda()) return converted.pin_memory();
    return converted;
  }
  return converted.to(options.device());
}

}  // namespace

std::vector<WanParam> wan_parameters(const WanConfig& c, WanWeights& w) {
  std::vector<WanParam> params;
  Builder b{params};
  const auto d = c.dim;
  const auto& ps = c.patch_size;
  b.add("patch_embedding.weight", w.patch_weight, {d, c.in_dim, ps[0], ps[1], ps[2]});
  b.add("patch_embedding.bias", w.patch_bias, {d});
  b.linear("text_embedding.0", w.text0, c.text_dim, d);
  b.linear("text_embedding.2", w.text2, d, d);
  b.linear("time_embedding.0", w.time0, c.freq_dim, d, true);
  b.linear("time_embedding.2", w.time2, d, d, true);
  b.linear("time_projection.1", w.time_projection, d, 6 * d, true);
  w.blocks.resize(static_cast<std::size_t>(c.num_layers));
  for (std::size_t i = 0; i < w.blocks.size(); ++i) {
    auto& blk = w.blocks[i];
    const std::string p = "blocks." + std::to_string(i);
    b.block = static_cast<int>(i);
    attention(b, p + ".self_attn", blk.self_attn, d, false);
    b.add(p + ".norm3.weight", blk.norm3_weight, {d}, true);
    b.add(p + ".norm3.bias", blk.norm3_bias, {d}, true);
    attention(b, p + ".cross_attn", blk.cross_attn, d, c.has_image_attention());
    b.linear(p + ".ffn.0", blk.ffn0, d, c.ffn_dim);
    b.linear(p + ".ffn.2", blk.ffn2, c.ffn_dim, d);
    b.add(p + ".modulation", blk.modulation, {1, 6, d}, true);
  }
  b.block = -1;
  b.linear("head.head", w.head, d, c.patch_volume() * c.out_dim, true);
  b.add("head.modulation", w.head_modulation, {1, 2, d}, true);
  if (c.has_image_attention()) {
    constexpr std::int64_t clip = 1280;
    b.add("img_emb.proj.0.weight", w.img_norm0_weight, {clip}, true);
    b.add("img_emb.proj.0.bias", w.img_norm0_bias, {clip}, true);
    b.linear("img_emb.proj.1", w.img_proj1, clip, clip);
    b.linear("img_emb.proj.3", w.img_proj3, clip, d);
    b.add("img_emb.proj.4.weight", w.img_norm4_weight, {d}, true);
    b.add("img_emb.proj.4.bias", w.img_norm4_bias, {d}, true);
  }
  return params;
}

std::string official_name(std::string_view key) {
  constexpr std::string_view comfy_prefix = "model.diffusion_model.";
  if (key.starts_with(comfy_prefix)) key.remove_prefix(comfy_prefix.size());
  if (key.starts_with("blocks.")) {
    auto dot = key.find('.', 7);
    if (dot == std::string_view::npos) return std::string(key);
    auto head = key.substr(0, dot + 1);
    auto tail = key.substr(dot + 1);
    if (tail == "scale_shift_table") return std::string(head) + "modulation";
    return std::string(head) + translate(tail, kBlockAliases);
  }
  return translate(key, kTopAliases);
}

std::pair<std::uint64_t, std::uint64_t> wan_parameter_bytes(const std::vector<WanParam>& params,
                                                            const WanPlacement& placement) {
  std::uint64_t resident = 0, host = 0;
  for (const auto& p : params) {
    std::uint64_t n = 1;
    for (auto s : p.shape) n *= static_cast<std::uint64_t>(s);
    n *= p.keep_fp32 ? 4 : c10::elementSize(placement.compute);
    (offloaded(p, placement) ? host : resident) += n;
  }
  return {resident, host};
}

void load_wan_weights(const std::filesystem::path& path, std::vector<WanParam>& params,
                      const WanPlacement& placement) {
  const std::string what = "weights " + path.string();
  auto checkpoint = SafetensorsCheckpoint::open(path);

  std::map<std::string, std::size_t, std::less<>> by_name;
  for (std::size_t i = 0; i < params.size(); ++i) by_name.emplace(params[i].name, i);

  std::vector<const TensorInfo*> source(params.size(), nullptr);
  CheckpointMismatch mismatch;
  for (const auto& key : checkpoint.names()) {
    auto name = official_name(key);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      mismatch.unexpected.push_back(key);
      continue;
    }
    const TensorInfo* info = checkpoint.find(key);
    if (source[it->second] != nullptr) {
      mismatch.duplicated.push_back(key + " (also " + source[it->second]->name + ")");
      continue;
    }
    source[it->second] = info;
    const auto& p = params[it->second];
    if (info->shape != p.shape) {
      mismatch.add_misshaped(key, info->shape, p.shape);
    }
    if (!torch_float_dtype(info->dtype) && info->dtype != DType::f8_e4m3) {
      mismatch.add_bad_dtype(key, info->dtype);
    }
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (source[i] == nullptr) mismatch.missing.push_back(params[i].name);
  }
  mismatch.throw_if_any("Wan", "F32, F16, BF16, F8_E4M3", what);

  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    const TensorInfo& info = *source[i];
    at::Tensor cpu;
    if (auto dt = torch_float_dtype(info.dtype)) {
      // Copy out of the mapping: safetensors offsets need not be aligned for the dtype.
      cpu = at::empty(p.shape, at::TensorOptions().dtype(*dt));
      auto bytes = checkpoint.data(info.name);
      std::memcpy(cpu.data_ptr(), bytes.data(), bytes.size());
    } else {
      auto values = checkpoint.to_f32(info.name);
      cpu = at::from_blob(values.data(), p.shape, at::kFloat).clone();
    }
    *p.slot = place(std::move(cpu), p, placement);
  }
}

void init_wan_weights_random(std::vector<WanParam>& params, const WanPlacement& placement,
                             std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& p : params) {
    const auto& n = p.name;
    at::Tensor t;
    auto ends_with = [&](std::string_view s) { return std::string_view(n).ends_with(s); };
    const bool is_norm = n.find("norm") != std::string::npos || n.find("img_emb.proj.0") == 0 ||
                         n.find("img_emb.proj.4") == 0;
    if (is_norm && ends_with(".weight")) {
      t = at::normal(1.0, 0.05, p.shape, gen);
    } else if (ends_with("modulation")) {
      t = at::normal(0.0, 1.0 / std::sqrt(static_cast<double>(p.shape.back())), p.shape, gen);
    } else if (ends_with(".bias")) {
      t = at::normal(0.0, 0.02, p.shape, gen);
    } else {
      std::int64_t fan_in = 1;
      for (std::size_t k = 1; k < p.shape.size(); ++k) fan_in *= p.shape[k];
      t = at::normal(0.0, 1.0 / std::sqrt(static_cast<double>(fan_in)), p.shape, gen);
    }
    *p.slot = place(std::move(t), p, placement);
  }
}

}  // namespace reel::neural
