#include "neural/wan_config.hpp"

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"

namespace reel::neural {

namespace {

[[noreturn]] void invalid(std::string_view what, const std::string& message) {
  throw Error(ErrorKind::InvalidInput, std::string(what) + ": " + message);
}

std::int64_t positive_int(const Json& json, std::string_view what, const char* key,
                          std::int64_t fallback, bool required) {
  auto it = json.find(key);
  if (it == json.end()) {
    if (required) invalid(what, std::string("missing key \"") + key + "\" (a positive integer)");
    return fallback;
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() <= 0) {
    invalid(what, std::string("\"") + key + "\" must be a positive integer, got " + it->dump());
  }
  return it->get<std::int64_t>();
}

}  // namespace

std::string_view to_string(WanModelType type) {
  switch (type) {
    case WanModelType::t2v:
      return "t2v";
    case WanModelType::i2v:
      return "i2v";
    case WanModelType::ti2v:
      return "ti2v";
  }
  return "t2v";
}

std::array<std::int64_t, 3> WanConfig::rope_split() const {
  const std::int64_t d = head_dim();
  return {d - 4 * (d / 6), 2 * (d / 6), 2 * (d / 6)};
}

void WanConfig::validate() const {
  const std::string_view what = "Wan config";
  if (dim <= 0 || ffn_dim <= 0 || freq_dim <= 0 || in_dim <= 0 || out_dim <= 0 || num_heads <= 0 ||
      num_layers <= 0 || text_len <= 0 || text_dim <= 0) {
    invalid(what,
            "dim, ffn_dim, freq_dim, in_dim, out_dim, num_heads, num_layers, text_len "
            "and text_dim must all be positive");
  }
  if (dim % num_heads != 0) {
    invalid(what, "dim " + std::to_string(dim) + " is not a multiple of num_heads " +
                      std::to_string(num_heads));
  }
  const std::int64_t d = head_dim();
  if (d % 2 != 0 || d < 6) {
    invalid(what, "head_dim = dim / num_heads = " + std::to_string(d) +
                      " must be even and at least 6 (RoPE rotates channel pairs over 3 axes)");
  }
  auto split = rope_split();
  for (auto s : split) {
    if (s <= 0 || s % 2 != 0) {
      invalid(what, "head_dim " + std::to_string(d) + " gives RoPE split " +
                        std::to_string(split[0]) + "/" + std::to_string(split[1]) + "/" +
                        std::to_string(split[2]) + "; each part must be positive and even");
    }
  }
  if (freq_dim % 2 != 0) {
    invalid(what, "freq_dim " + std::to_string(freq_dim) + " must be even ([cos, sin] halves)");
  }
  if (!(eps > 0.0) || eps >= 1.0)
    invalid(what, "eps must be in (0, 1), got " + std::to_string(eps));
  for (auto p : patch_size) {
    if (p <= 0 || p > 16) invalid(what, "patch_size entries must be in 1..16");
  }
  if (model_type == WanModelType::i2v && in_dim <= out_dim) {
    invalid(what,
            "model_type i2v expects in_dim > out_dim (noise + mask + image latent "
            "channels), got in_dim " +
                std::to_string(in_dim) + ", out_dim " + std::to_string(out_dim));
  }
}

WanConfig parse_wan_config(const Json& json, std::string_view what) {
  if (!json.is_object()) invalid(what, "config must be a JSON object");
  WanConfig c;
  auto type = json.find("model_type");
  if (type == json.end() || !type->is_string()) {
    invalid(what, "missing string key \"model_type\" (allowed: t2v, i2v, ti2v)");
  }
  const auto t = type->get<std::string>();
  if (t == "t2v") {
    c.model_type = WanModelType::t2v;
  } else if (t == "i2v") {
    c.model_type = WanModelType::i2v;
  } else if (t == "ti2v") {
    c.model_type = WanModelType::ti2v;
  } else {
    invalid(what, "model_type \"" + t + "\" is not supported (allowed: t2v, i2v, ti2v)");
  }
  c.dim = positive_int(json, what, "dim", 0, true);
  c.ffn_dim = positive_int(json, what, "ffn_dim", 0, true);
  c.freq_dim = positive_int(json, what, "freq_dim", 256, false);
  c.in_dim = positive_int(json, what, "in_dim", 0, true);
  c.out_dim = positive_int(json, what, "out_dim", 0, true);
  c.num_heads = positive_int(json, what, "num_heads", 0, true);
  c.num_layers = positive_int(json, what, "num_layers", 0, true);
  c.text_len = positive_int(json, what, "text_len", 512, false);
  c.text_dim = positive_int(json, what, "text_dim", 4096, false);
  if (auto eps = json.find("eps"); eps != json.end()) {
    if (!eps->is_number()) invalid(what, "\"eps\" must be a number, got " + eps->dump());
    c.eps = eps->get<double>();
  }
  if (auto patch = json.find("patch_size"); patch != json.end()) {
    if (!patch->is_array() || patch->size() != 3) {
      invalid(what, "\"patch_size\" must be an array of 3 positive integers, got " + patch->dump());
    }
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& v = (*patch)[i];
      if (!v.is_number_integer() || v.get<std::int64_t>() <= 0) {
        invalid(what,
                "\"patch_size\" must be an array of 3 positive integers, got " + patch->dump());
      }
      c.patch_size[i] = v.get<std::int64_t>();
    }
  }
  if (auto window = json.find("window_size"); window != json.end()) {
    if (*window != Json::array({-1, -1})) {
      invalid(what, "\"window_size\" " + window->dump() +
                        " is not supported (only global attention, [-1, -1])");
    }
  }
  for (const char* key : {"qk_norm", "cross_attn_norm"}) {
    if (auto flag = json.find(key); flag != json.end() && *flag != Json(true)) {
      invalid(what, std::string("\"") + key + "\" must be true (the only published setting)");
    }
  }
  try {
    c.validate();
  } catch (Error& e) {
    e.add_context(std::string(what));
    throw;
  }
  return c;
}

WanConfig load_wan_config(const std::filesystem::path& path) {
  const std::string what = "config " + path.string();
  return parse_wan_config(parse_json(read_file(path, 1 << 20), what), what);
}

WanConfig wan_preset(std::string_view name) {
  WanConfig c;  // the defaults are Wan2.1-T2V-1.3B
  if (name == "wan2.1-t2v-1.3b") return c;
  if (name == "wan2.1-t2v-14b" || name == "wan2.1-i2v-14b") {
    c.dim = 5120;
    c.ffn_dim = 13824;
    c.num_heads = 40;
    c.num_layers = 40;
    if (name == "wan2.1-i2v-14b") {
      c.model_type = WanModelType::i2v;
      c.in_dim = 36;
    }
    return c;
  }
  if (name == "wan2.2-ti2v-5b") {
    c.model_type = WanModelType::ti2v;
    c.dim = 3072;
    c.ffn_dim = 14336;
    c.num_heads = 24;
    c.num_layers = 30;
    c.in_dim = 48;
    c.out_dim = 48;
    return c;
  }
  std::string allowed;
  for (const auto& n : wan_preset_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  throw Error(ErrorKind::InvalidInput,
              "unknown Wan preset '" + std::string(name) + "' (allowed: " + allowed + ")");
}

std::vector<std::string> wan_preset_names() {
  return {"wan2.1-t2v-1.3b", "wan2.1-t2v-14b", "wan2.1-i2v-14b", "wan2.2-ti2v-5b"};
}

}  // namespace reel::neural
