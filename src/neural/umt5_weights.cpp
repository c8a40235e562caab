#include "neural/umt5_weights.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>

#include "neural/checkpoint_check.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/neural/pth.hpp"
#include "reel/neural/safetensors.hpp"

namespace reel::neural {

namespace {

using Shape = std::vector<std::int64_t>;

[[noreturn]] void invalid(std::string_view what, const std::string& message) {
  throw Error(ErrorKind::InvalidInput, std::string(what) + ": " + message);
}

// Hugging Face T5/UMT5 encoder names, after "encoder.block.N.", → official names after
// "blocks.N.". In UMT5 every layer has its own relative_attention_bias.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kBlockAliases{{
    {"layer.0.SelfAttention.q.weight", "attn.q.weight"},
    {"layer.0.SelfAttention.k.weight", "attn.k.weight"},
    {"layer.0.SelfAttention.v.weight", "attn.v.weight"},
    {"layer.0.SelfAttention.o.weight", "attn.o.weight"},
    {"layer.0.SelfAttention.relative_attention_bias.weight", "pos_embedding.embedding.weight"},
    {"layer.0.layer_norm.weight", "norm1.weight"},
    {"layer.1.DenseReluDense.wi_0.weight", "ffn.gate.0.weight"},
    {"layer.1.DenseReluDense.wi_1.weight", "ffn.fc1.weight"},
    {"layer.1.DenseReluDense.wo.weight", "ffn.fc2.weight"},
    {"layer.1.layer_norm.weight", "norm2.weight"},
}};

// One tensor of the checkpoint, whichever container it came from.
struct Source {
  std::string key;
  DType dtype = DType::f32;
  Shape shape;
  const PthTensor* pth = nullptr;  // null for safetensors
};

// The file behind a load: a PyTorch zip or a safetensors file / sharded index.
struct Checkpoint {
  std::optional<PthFile> pth;
  std::optional<SafetensorsCheckpoint> st;
  std::vector<Source> sources;

  explicit Checkpoint(const std::filesystem::path& path) {
    auto ext = path.extension().string();
    if (ext == ".pth" || ext == ".pt" || ext == ".bin") {
      pth.emplace(PthFile::open(path));
      for (const auto& t : pth->tensors()) sources.push_back({t.name, t.dtype, t.shape, &t});
    } else {
      st.emplace(SafetensorsCheckpoint::open(path));
      for (const auto& name : st->names()) {
        const TensorInfo* info = st->find(name);
        sources.push_back({name, info->dtype, info->shape, nullptr});
      }
    }
  }

  // The tensor's values as a CPU tensor of `dtype`: one copy out of the mapping when the
  // file already holds `dtype` (offsets in the mapping need not be aligned for it).
  at::Tensor read(const Source& s, at::ScalarType dtype) const {
    const auto file_dtype = torch_float_dtype(s.dtype);
    const bool dense = s.pth == nullptr || s.pth->is_contiguous();
    if (file_dtype && dense) {
      auto bytes = s.pth != nullptr ? pth->data(*s.pth) : st->data(s.key);
      at::Tensor t = at::empty(s.shape, at::TensorOptions().dtype(*file_dtype));
      std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
      return *file_dtype == dtype ? t : t.to(dtype);
    }
    auto values = s.pth != nullptr ? pth->to_f32(*s.pth) : st->to_f32(s.key);
    // copy=true: `values` dies here, so even an fp32 result must own its memory.
    return at::from_blob(values.data(), s.shape, at::kFloat).to(dtype, false, true);
  }
};

struct Binding {
  std::vector<const Source*> source;  // per param
};

Binding bind_params(const Checkpoint& checkpoint, const std::vector<UMT5Param>& params,
                    const std::string& what) {
  std::map<std::string, std::size_t, std::less<>> by_name;
  for (std::size_t i = 0; i < params.size(); ++i) by_name.emplace(params[i].name, i);
  Binding b;
  b.source.assign(params.size(), nullptr);
  CheckpointMismatch mismatch;
  for (const auto& s : checkpoint.sources) {
    auto name = umt5_official_name(s.key);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      mismatch.unexpected.push_back(s.key);
      continue;
    }
    const auto& p = params[it->second];
    if (b.source[it->second] != nullptr) {
      // Hugging Face files may hold the tied embedding under both names; equal shapes are
      // the same tensor, so the first one is used.
      if (name == "token_embedding.weight" && s.shape == b.source[it->second]->shape) continue;
      mismatch.duplicated.push_back(s.key + " (also " + b.source[it->second]->key + ")");
      continue;
    }
    b.source[it->second] = &s;
    if (s.shape != p.shape) {
      mismatch.add_misshaped(s.key, s.shape, p.shape);
    }
    if (!torch_float_dtype(s.dtype) && (s.pth != nullptr || s.dtype != DType::f8_e4m3)) {
      mismatch.add_bad_dtype(s.key, s.dtype);
    }
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (b.source[i] == nullptr) mismatch.missing.push_back(params[i].name);
  }
  mismatch.throw_if_any("umT5", "F32, F16, BF16; F8_E4M3 in safetensors", what);
  return b;
}

int config_int(const Json& json, std::string_view what, const char* key, int fallback) {
  auto it = json.find(key);
  if (it == json.end()) return fallback;
  if (!it->is_number_integer() || it->get<std::int64_t>() <= 0 ||
      it->get<std::int64_t>() > (std::int64_t{1} << 30)) {
    invalid(what, std::string("\"") + key + "\" must be a positive integer, got " + it->dump());
  }
  return static_cast<int>(it->get<std::int64_t>());
}

}  // namespace

UMT5Config UMT5Config::from_json_file(const std::filesystem::path& file) {
  const std::string what = "t5 config " + file.string();
  const Json json = parse_json(read_file(file, 1 << 20), what);
  if (!json.is_object()) invalid(what, "must be a JSON object");
  static constexpr std::array<const char*, 9> kKeys{"vocab",       "dim",          "dim_attn",
                                                    "dim_ffn",     "num_heads",    "num_layers",
                                                    "num_buckets", "max_distance", "eps"};
  for (const auto& [key, value] : json.items()) {
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known) {
      invalid(what, "unknown key \"" + key +
                        "\" (allowed: vocab, dim, dim_attn, dim_ffn, num_heads, num_layers, "
                        "num_buckets, max_distance, eps)");
    }
  }
  UMT5Config c;
  c.vocab = config_int(json, what, "vocab", c.vocab);
  c.dim = config_int(json, what, "dim", c.dim);
  c.dim_attn = config_int(json, what, "dim_attn", c.dim);
  c.dim_ffn = config_int(json, what, "dim_ffn", c.dim_ffn);
  c.num_heads = config_int(json, what, "num_heads", c.num_heads);
  c.num_layers = config_int(json, what, "num_layers", c.num_layers);
  c.num_buckets = config_int(json, what, "num_buckets", c.num_buckets);
  c.max_distance = config_int(json, what, "max_distance", c.max_distance);
  if (auto eps = json.find("eps"); eps != json.end()) {
    if (!eps->is_number() || !(eps->get<double>() > 0.0) || eps->get<double>() > 1.0) {
      invalid(what, "\"eps\" must be a number in (0, 1], got " + eps->dump());
    }
    c.eps = eps->get<float>();
  }
  c.validate(what);
  return c;
}

void UMT5Config::validate(std::string_view what) const {
  if (vocab <= 0 || dim <= 0 || dim_attn <= 0 || dim_ffn <= 0 || num_heads <= 0 ||
      num_layers <= 0 || max_distance <= 0 || !(eps > 0.0f)) {
    invalid(what, "every size must be positive");
  }
  if (dim_attn % num_heads != 0) {
    invalid(what, "dim_attn (" + std::to_string(dim_attn) + ") must be a multiple of num_heads (" +
                      std::to_string(num_heads) + ")");
  }
  // Bidirectional buckets: half per direction, half of those exact, so at least 4.
  if (num_buckets < 4 || num_buckets % 4 != 0) {
    invalid(what,
            "num_buckets must be a positive multiple of 4, got " + std::to_string(num_buckets));
  }
  if (max_distance <= num_buckets / 4) {
    invalid(what, "max_distance must exceed num_buckets / 4");
  }
}

std::int64_t UMT5Config::parameter_count() const {
  const std::int64_t d = dim, a = dim_attn, f = dim_ffn;
  const std::int64_t block = 2 * d + 4 * a * d + std::int64_t{num_buckets} * num_heads + 3 * f * d;
  return std::int64_t{vocab} * d + num_layers * block + d;
}

std::vector<UMT5Param> umt5_parameters(const UMT5Config& c, UMT5Weights& w) {
  std::vector<UMT5Param> params;
  const std::int64_t d = c.dim, a = c.dim_attn, f = c.dim_ffn;
  params.push_back({"token_embedding.weight", &w.token_embedding, {c.vocab, d}});
  w.blocks.resize(static_cast<std::size_t>(c.num_layers));
  for (std::size_t i = 0; i < w.blocks.size(); ++i) {
    auto& b = w.blocks[i];
    const std::string p = "blocks." + std::to_string(i) + ".";
    params.push_back({p + "norm1.weight", &b.norm1, {d}});
    params.push_back({p + "attn.q.weight", &b.q, {a, d}});
    params.push_back({p + "attn.k.weight", &b.k, {a, d}});
    params.push_back({p + "attn.v.weight", &b.v, {a, d}});
    params.push_back({p + "attn.o.weight", &b.o, {d, a}});
    params.push_back({p + "norm2.weight", &b.norm2, {d}});
    params.push_back({p + "ffn.gate.0.weight", &b.gate, {f, d}});
    params.push_back({p + "ffn.fc1.weight", &b.fc1, {f, d}});
    params.push_back({p + "ffn.fc2.weight", &b.fc2, {d, f}});
    params.push_back(
        {p + "pos_embedding.embedding.weight", &b.pos_embedding, {c.num_buckets, c.num_heads}});
  }
  params.push_back({"norm.weight", &w.norm, {d}});
  return params;
}

std::string umt5_official_name(std::string_view key) {
  if (key == "shared.weight" || key == "encoder.embed_tokens.weight") {
    return "token_embedding.weight";
  }
  if (key == "encoder.final_layer_norm.weight") return "norm.weight";
  constexpr std::string_view block = "encoder.block.";
  if (key.starts_with(block)) {
    auto rest = key.substr(block.size());
    auto dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0) return std::string(key);
    auto index = rest.substr(0, dot);
    for (char ch : index) {
      if (ch < '0' || ch > '9') return std::string(key);
    }
    auto tail = rest.substr(dot + 1);
    for (const auto& [from, to] : kBlockAliases) {
      if (tail == from) return "blocks." + std::string(index) + "." + std::string(to);
    }
  }
  return std::string(key);
}

void check_umt5_checkpoint(const std::filesystem::path& path,
                           const std::vector<UMT5Param>& params) {
  Checkpoint checkpoint(path);
  bind_params(checkpoint, params, "weights " + path.string());
}

void load_umt5_weights(const std::filesystem::path& path, std::vector<UMT5Param>& params,
                       at::ScalarType dtype, c10::Device device) {
  const std::string what = "weights " + path.string();
  Checkpoint checkpoint(path);
  const Binding b = bind_params(checkpoint, params, what);
  for (std::size_t i = 0; i < params.size(); ++i) {
    at::Tensor t = checkpoint.read(*b.source[i], dtype);
    *params[i].slot = device.is_cpu() ? std::move(t) : t.to(device);
  }
}

void init_umt5_weights_random(std::vector<UMT5Param>& params, at::ScalarType dtype,
                              c10::Device device, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& p : params) {
    const std::string_view n = p.name;
    at::Tensor t;
    if (n.ends_with("norm1.weight") || n.ends_with("norm2.weight") || n == "norm.weight") {
      t = at::normal(1.0, 0.05, p.shape, gen);
    } else if (n == "token_embedding.weight") {
      t = at::normal(0.0, 1.0, p.shape, gen);
    } else if (n.ends_with("pos_embedding.embedding.weight")) {
      t = at::normal(0.0, 1.0 / std::sqrt(2.0 * static_cast<double>(p.shape[0] * p.shape[1])),
                     p.shape, gen);
    } else {
      t = at::normal(0.0, 1.0 / std::sqrt(static_cast<double>(p.shape[1])), p.shape, gen);
    }
    t = t.to(dtype);
    *p.slot = device.is_cpu() ? std::move(t) : t.to(device);
  }
}

}  // namespace reel::neural
