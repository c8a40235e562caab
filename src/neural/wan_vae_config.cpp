// WanVaeConfig: the official constants and the reel vae_config.json reader.
#include "neural/wan_vae.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"

namespace reel::neural {

namespace {

[[noreturn]] void invalid(std::string_view what, const std::string& message) {
  throw Error(ErrorKind::InvalidInput, std::string(what) + ": " + message);
}

// Wan2.1 wan/modules/vae.py WanVAE.__init__ (research §1.5).
const std::vector<float> kMean21{-0.7571, -0.7089, -0.9113, 0.1075,  -0.1745, 0.9653,
                                 -0.1517, 1.5508,  0.4134,  -0.0715, 0.5517,  -0.3632,
                                 -0.1922, -0.9497, 0.2503,  -0.2921};
const std::vector<float> kStd21{2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                                3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160};
// Wan2.2 wan/modules/vae2_2.py Wan2_2_VAE.__init__.
const std::vector<float> kMean22{
    -0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174,  0.1838,  0.1557,  -0.1382, 0.0542,
    0.2813,  0.0891,  0.1570,  -0.0098, 0.0375,  -0.1825, -0.2246, -0.1207, -0.0698, 0.5109,
    0.2665,  -0.2108, -0.2158, 0.2502,  -0.2055, -0.0322, 0.1109,  0.1567,  -0.0729, 0.0899,
    -0.2799, -0.1230, -0.0313, -0.1649, 0.0117,  0.0723,  -0.2839, -0.2083, -0.0520, 0.3748,
    0.0152,  0.1957,  0.1433,  -0.2944, 0.3573,  -0.0548, -0.1681, -0.0667};
const std::vector<float> kStd22{
    0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013, 0.8158, 1.0344, 0.5894, 1.0901,
    0.6885, 0.6165, 0.8454, 0.4978, 0.5759, 0.3523, 0.7135, 0.6804, 0.5833, 1.4146, 0.8986, 0.5659,
    0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999, 0.6866, 0.4093, 0.5709, 0.6065, 0.6415, 0.4944,
    0.5726, 1.2042, 0.5458, 1.6887, 0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744};

int positive(const Json& j, std::string_view what, const char* key, int fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number_integer() || it->get<std::int64_t>() <= 0 ||
      it->get<std::int64_t>() > 1 << 16) {
    invalid(what, std::string("\"") + key + "\" must be a positive integer, got " + it->dump());
  }
  return it->get<int>();
}

}  // namespace

WanVaeConfig WanVaeConfig::wan21() {
  WanVaeConfig c;
  c.mean = kMean21;
  c.std = kStd21;
  return c;
}

WanVaeConfig WanVaeConfig::wan22() {
  WanVaeConfig c;
  c.version = Version::v2_2;
  c.dim = 160;
  c.decoder_dim = 256;
  c.z_dim = 48;
  c.mean = kMean22;
  c.std = kStd22;
  return c;
}

int WanVaeConfig::temporal_factor() const {
  int f = 1;
  for (std::size_t i = 0; i + 1 < dim_mult.size() && i < temporal_downsample.size(); ++i) {
    if (temporal_downsample[i]) f *= 2;
  }
  return f;
}

int WanVaeConfig::spatial_factor() const {
  const int stages = static_cast<int>(dim_mult.size()) - 1;
  return (1 << stages) * (is_v22() ? 2 : 1);
}

void WanVaeConfig::validate() const {
  const std::string_view what = "Wan VAE config";
  if (dim <= 0 || decoder_dim <= 0 || z_dim <= 0 || num_res_blocks <= 0) {
    invalid(what, "dim, decoder_dim, z_dim and num_res_blocks must be positive");
  }
  if (dim_mult.size() < 2 || dim_mult.size() > 6) {
    invalid(what, "dim_mult must have 2 to 6 entries, got " + std::to_string(dim_mult.size()));
  }
  for (int m : dim_mult) {
    if (m <= 0) invalid(what, "dim_mult entries must be positive");
  }
  if (temporal_downsample.size() + 1 != dim_mult.size()) {
    invalid(what, "temporal_downsample needs one entry per downsampling stage (" +
                      std::to_string(dim_mult.size() - 1) + "), got " +
                      std::to_string(temporal_downsample.size()));
  }
  if (mean.size() != static_cast<std::size_t>(z_dim) ||
      std.size() != static_cast<std::size_t>(z_dim)) {
    invalid(what, "mean and std need z_dim = " + std::to_string(z_dim) + " entries each, got " +
                      std::to_string(mean.size()) + " and " + std::to_string(std.size()));
  }
  for (float s : std) {
    if (!(s > 0.0f)) invalid(what, "std entries must be positive");
  }
  if (version == Version::v2_1) {
    // The upsampling convs halve the channels: every decoder stage width must stay even.
    for (int m : dim_mult) {
      if ((decoder_dim * m) % 2 != 0) invalid(what, "decoder_dim · dim_mult must be even");
    }
    if (decoder_dim != dim) invalid(what, "Wan2.1 uses one dim for encoder and decoder");
  } else {
    // AvgDown3D / DupUp3D fold channels into groups: the widths must divide evenly.
    for (std::size_t i = 0; i + 1 < dim_mult.size(); ++i) {
      const int in = dim * (i == 0 ? 1 : dim_mult[i - 1]), out = dim * dim_mult[i];
      if ((in * 8) % out != 0) invalid(what, "encoder stage widths do not divide for AvgDown3D");
    }
  }
}

WanVaeConfig WanVaeConfig::from_json_file(const std::filesystem::path& file) {
  const std::string what = "VAE config " + file.string();
  if (!std::filesystem::exists(file)) throw Error(ErrorKind::NotFound, what + ": no such file");
  const Json j = parse_json(read_file(file, 1 << 20), what);
  if (!j.is_object()) invalid(what, "must be a JSON object");
  WanVaeConfig c;
  auto version = j.find("version");
  if (version == j.end() || !version->is_string() || (*version != "2.1" && *version != "2.2")) {
    invalid(what, "\"version\" must be \"2.1\" or \"2.2\"");
  }
  c = *version == "2.2" ? wan22() : wan21();
  c.dim = positive(j, what, "dim", c.dim);
  c.decoder_dim =
      positive(j, what, "decoder_dim", c.version == Version::v2_1 ? c.dim : c.decoder_dim);
  c.num_res_blocks = positive(j, what, "num_res_blocks", c.num_res_blocks);
  c.z_dim = positive(j, what, "z_dim", c.z_dim);
  auto read_list = [&](const char* key, auto& out, auto check) {
    auto it = j.find(key);
    if (it == j.end()) return;
    if (!it->is_array()) invalid(what, std::string("\"") + key + "\" must be an array");
    out.clear();
    for (const auto& v : *it) {
      if (!check(v)) invalid(what, std::string("\"") + key + "\" has a bad entry " + v.dump());
      out.push_back(v.template get<typename std::decay_t<decltype(out)>::value_type>());
    }
  };
  read_list("dim_mult", c.dim_mult, [](const Json& v) { return v.is_number_integer(); });
  read_list("temporal_downsample", c.temporal_downsample,
            [](const Json& v) { return v.is_boolean(); });
  read_list("mean", c.mean, [](const Json& v) { return v.is_number(); });
  read_list("std", c.std, [](const Json& v) { return v.is_number(); });
  c.validate();
  return c;
}

}  // namespace reel::neural
