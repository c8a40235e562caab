// Finding a Wan checkpoint folder, checking it holds what a run needs, and the cheap
// fingerprint that puts the weights' identity into cache keys.
#include "reel/neural/wan_folder.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"
#include "reel/core/paths.hpp"
#include "wan/wan_internal.hpp"

namespace reel::wan {
namespace fs = std::filesystem;

WanOptions WanOptions::from_env() {
  WanOptions o;
  if (const char* m = std::getenv("REEL_MODELS"); m && *m) o.models_root = m;
  if (const char* d = std::getenv("REEL_WAN_DEVICE"); d && *d) o.device = d;
  if (const char* t = std::getenv("REEL_WAN_DTYPE"); t && *t) o.dtype = t;
  if (const char* b = std::getenv("REEL_NEURAL_BIN"); b && *b) o.neural_bin = b;
  if (const char* f = std::getenv("REEL_WAN_OFFLOAD")) o.offload = std::string(f) == "1";
  auto pixels = [](const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return 0;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < 0 || n > 16384)
      throw Error(ErrorKind::InvalidInput,
                  std::string(name) + "=" + v + " is not a pixel count in 0..16384");
    return static_cast<int>(n);
  };
  o.vae_tile = pixels("REEL_WAN_TILE");
  o.vae_overlap = pixels("REEL_WAN_OVERLAP");
  return o;
}

void WanOptions::add_weights_arg(const std::string& value) {
  if (value.empty())
    throw Error(ErrorKind::InvalidInput,
                "--weights needs a folder: DIR (holding Wan2.1-T2V-1.3B/, ...) or MODEL=DIR");
  auto eq = value.find('=');
  if (eq == std::string::npos) {
    models_root = value;
    return;
  }
  std::string id = value.substr(0, eq);
  try {
    wan_spec(id);
  } catch (const Error& e) {
    throw Error(ErrorKind::InvalidInput, "--weights " + value + ": " + e.message());
  }
  folders[id] = value.substr(eq + 1);
}

fs::path WanOptions::calibration_root() const {
  return calibration_dir.empty() ? reel_home() / "calibration" : calibration_dir;
}

std::optional<fs::path> checkpoint_folder(const WanSpec& spec, const WanOptions& options) {
  if (auto it = options.folders.find(spec.id); it != options.folders.end()) return it->second;
  if (!options.models_root.empty()) return options.models_root / spec.folder_name;
  return std::nullopt;
}

std::vector<fs::path> required_files(const WanSpec& spec, const fs::path& folder) {
  std::error_code ec;
  // Either DiT layout works; a missing one is reported as the single file.
  const fs::path dit = fs::exists(folder / detail::kDiTIndex, ec) ? folder / detail::kDiTIndex
                                                                  : folder / detail::kDiTFile;
  return {folder / "config.json", dit, folder / spec.vae_file, folder / detail::kT5File,
          folder / detail::kTokenizer};
}

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The first required file absent, allowing the alternatives reel-neural accepts: the
// sharded DiT index, and a .safetensors of the same stem for the VAE and the T5.
std::optional<fs::path> first_missing(const WanSpec& spec, const fs::path& folder) {
  for (const fs::path& f : required_files(spec, folder)) {
    if (is_file(f)) continue;
    if (f.extension() == ".pth" && is_file(fs::path(f).replace_extension(".safetensors"))) continue;
    return f;
  }
  return std::nullopt;
}

void check_folder(const WanSpec& spec, const fs::path& folder) {
  if (auto missing = first_missing(spec, folder)) {
    std::string hint = missing->filename() == detail::kDiTFile
                           ? " (or the sharded " + std::string(detail::kDiTIndex) + ")"
                           : "";
    throw Error(ErrorKind::NotFound, spec.id + ": weights file not found: " + missing->string() +
                                         hint + "; download " + spec.folder_name +
                                         " from the publisher (docs/models.md)");
  }
  // The same torch-free check reel-neural makes, and the checkpoint's kind must match.
  neural::WanFolderFiles files = with_context(spec.id + ": checking " + folder.string(),
                                              [&] { return neural::locate_wan_folder(folder); });
  if (files.model_type != spec.model_type)
    throw Error(ErrorKind::InvalidInput, spec.id + ": " + files.config.string() +
                                             " says model_type \"" + files.model_type + "\"; " +
                                             spec.id + " needs a \"" + spec.model_type +
                                             "\" checkpoint (" + spec.folder_name + ")");
}

}  // namespace

void check_checkpoint(const WanSpec& spec, const WanOptions& options) {
  auto folder = checkpoint_folder(spec, options);
  if (!folder)
    throw Error(ErrorKind::NotFound,
                spec.id + ": no weights configured; expected the checkpoint folder " +
                    spec.folder_name +
                    "/ under $REEL_MODELS, or pass --weights DIR (the folder holding it) or "
                    "--weights " +
                    spec.id + "=DIR (docs/models.md)");
  check_folder(spec, *folder);
}

model::Availability availability(const WanSpec& spec, const WanOptions& options) {
  const std::vector<std::string> needs{"weights:" + spec.folder_name};
  auto folder = checkpoint_folder(spec, options);
  if (!folder)
    return model::Availability::missing("weights: not found, expected at $REEL_MODELS/" +
                                            spec.folder_name + " (REEL_MODELS is not set)",
                                        needs);
  if (auto missing = first_missing(spec, *folder))
    return model::Availability::missing("weights: not found, expected at " + missing->string(),
                                        needs);
  try {
    check_folder(spec, *folder);
  } catch (const Error& e) {
    return model::Availability::missing("weights: unusable: " + std::string(e.what()), needs);
  }
  return model::Availability::ready("weights: found at " + folder->string());
}

namespace detail {

std::string weights_fingerprint(const fs::path& folder) {
  if (folder.empty()) return "none";
  Hasher h;
  h.add_field("reel-wan-weights-v1");
  std::error_code ec;
  {
    std::ifstream in(folder / "config.json", std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    h.add_field(bytes.str());
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) files.push_back(it->path());
  files.push_back(folder / kTokenizer);
  std::sort(files.begin(), files.end());  // directory order is not stable
  for (const fs::path& f : files) {
    const auto size = fs::file_size(f, ec);
    if (ec) continue;
    const auto mtime = fs::last_write_time(f, ec).time_since_epoch().count();
    h.add_field(f.filename().string()).add_u64(size).add_u64(static_cast<std::uint64_t>(mtime));
  }
  return h.digest().hex().substr(0, 16);
}

std::string device_kind(const std::string& device) {
  return device.substr(0, device.find(':'));
}

}  // namespace detail
}  // namespace reel::wan
