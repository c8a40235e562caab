// locate_wan_folder: which file of a Wan checkpoint folder holds what. Torch-free (it
// lives in reel_neural_io) so the model adapter reports a missing file before a run.
#include "reel/neural/wan_folder.hpp"

#include <string>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"

namespace reel::neural {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

[[noreturn]] void missing(const fs::path& expected, const std::string& what) {
  throw_error(ErrorKind::NotFound,
              "Wan checkpoint folder: " + what + " not found: expected " + expected.string());
}

// The .pth the publisher ships, or a .safetensors of the same stem (a converted copy).
fs::path pth_or_safetensors(const fs::path& folder, const std::string& pth_name,
                            const std::string& what) {
  const fs::path pth = folder / pth_name;
  if (is_file(pth)) return pth;
  fs::path st = pth;
  st.replace_extension(".safetensors");
  if (is_file(st)) return st;
  throw_error(ErrorKind::NotFound, "Wan checkpoint folder: " + what + " not found: expected " +
                                       pth.string() + " (or " + st.string() + ")");
}

}  // namespace

WanFolderFiles locate_wan_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw_error(ErrorKind::NotFound,
                "Wan checkpoint folder not found: " + folder.string() + " is not a directory");
  WanFolderFiles f;
  f.folder = folder;
  f.config = folder / "config.json";
  if (!is_file(f.config)) missing(f.config, "the DiT config");

  // Only model_type is read here; the engine validates the rest of config.json.
  const Json config = parse_json(read_file(f.config, 1 << 20), f.config.string());
  const auto type = config.is_object() ? config.find("model_type") : config.end();
  if (type == config.end() || !type->is_string())
    throw_error(ErrorKind::InvalidInput,
                f.config.string() + " has no string \"model_type\" (allowed: t2v, i2v, ti2v)");
  f.model_type = type->get<std::string>();
  if (f.model_type == "t2v" || f.model_type == "i2v") {
    f.vae_version = "2.1";
  } else if (f.model_type == "ti2v") {
    f.vae_version = "2.2";
  } else {
    throw_error(ErrorKind::InvalidInput, f.config.string() + ": model_type \"" + f.model_type +
                                             "\" is not supported (allowed: t2v, i2v, ti2v)");
  }

  const fs::path single = folder / kWanDitWeights;
  const fs::path index = folder / kWanDitIndex;
  if (is_file(single)) {
    f.dit_weights = single;
  } else if (is_file(index)) {
    f.dit_weights = index;
  } else {
    throw_error(ErrorKind::NotFound, "Wan checkpoint folder: the DiT weights not found: expected " +
                                         single.string() + " (or the sharded index " +
                                         index.string() + ")");
  }
  f.vae_weights = pth_or_safetensors(folder, "Wan" + f.vae_version + "_VAE.pth",
                                     "the Wan" + f.vae_version + " VAE weights");
  f.t5_weights = pth_or_safetensors(folder, kWanT5Weights, "the umT5-XXL text encoder weights");
  f.tokenizer = folder / kWanTokenizer;
  if (!is_file(f.tokenizer)) missing(f.tokenizer, "the umT5 SentencePiece tokenizer");
  if (is_file(folder / "vae_config.json")) f.vae_config = folder / "vae_config.json";
  if (is_file(folder / "t5_config.json")) f.t5_config = folder / "t5_config.json";
  return f;
}

}  // namespace reel::neural
