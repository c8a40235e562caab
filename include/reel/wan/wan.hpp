#pragma once
// The Wan video models (Wan2.1-T2V-1.3B, Wan2.1-T2V-14B, Wan2.2-TI2V-5B) as registry
// models. reel, the Python module and the server never link LibTorch: each run is a
// `reel-neural generate` child process (docs/neural.md) that this adapter starts,
// streams progress from, cancels (SIGTERM, then SIGKILL) and reads frames back from.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/model/registry.hpp"
#include "reel/neural/wan_request.hpp"

namespace reel::wan {

// Where checkpoints are looked for and how the child runs.
struct WanOptions {
  // Holds the official repository folders: Wan2.1-T2V-1.3B/, Wan2.1-T2V-14B/, Wan2.2-TI2V-5B/.
  std::filesystem::path models_root;
  // Model id → its checkpoint folder; wins over models_root.
  std::map<std::string, std::filesystem::path> folders;
  std::string device = "cpu";  // reel-neural --device: "cpu", "cuda" or "cuda:N"
  std::string dtype;           // reel-neural --dtype; empty = the child's default
  bool offload = false;        // reel-neural --offload: DiT blocks moved to the device in turn
  int vae_tile = 0;            // reel-neural --tile PX (0 = untiled VAE decode)
  int vae_overlap = 0;         // reel-neural --overlap PX (0 = the child's default)
  std::filesystem::path neural_bin;       // empty = find_reel_neural()
  std::filesystem::path calibration_dir;  // empty = reel_home() / "calibration"
  // After SIGTERM the child gets this long to exit before SIGKILL.
  std::chrono::milliseconds kill_grace{3000};

  // REEL_MODELS (models_root), REEL_WAN_DEVICE, REEL_WAN_DTYPE, REEL_WAN_OFFLOAD=1,
  // REEL_WAN_TILE, REEL_WAN_OVERLAP, REEL_NEURAL_BIN.
  static WanOptions from_env();
  // Applies one `--weights` value: "DIR" (a models root) or "MODEL=DIR" (one model's
  // checkpoint folder). An unknown model id is InvalidInput listing the Wan ids.
  void add_weights_arg(const std::string& value);
  std::filesystem::path calibration_root() const;
};

// Published defaults (research notes §1.7; Wan's generate.py): the request contract's
// type, shared with reel-neural.
using WanDefaults = neural::WanDefaults;

// The work of one run, as the adapter resolves it (the model's defaults filled in).
struct WanWork {
  int width = 0, height = 0, frames = 1, steps = 0;
  bool guided = true;  // guidance != 1: two DiT passes per step (conditional, unconditional)
};

// The DiT's shape as cost estimates need it (the official config.json values).
struct WanDitShape {
  int dim = 0, ffn_dim = 0, num_layers = 0;
  int text_len = 512;  // context tokens every cross-attention reads
};

struct WanSpec {
  std::string id;           // registry id, e.g. "wan2.1-t2v-1.3b"
  std::string folder_name;  // official repository name, e.g. "Wan2.1-T2V-1.3B"
  std::string name;
  std::string vae_file;    // "Wan2.1_VAE.pth" or "Wan2.2_VAE.pth"
  std::string model_type;  // config.json's "model_type": "t2v" or "ti2v"
  std::vector<model::Task> tasks;
  WanDefaults defaults;
  int size_multiple = 16;  // VAE stride x DiT patch: 8x2 (2.1) or 16x2 (2.2)
  WanDitShape dit;
  // Used until `reel calibrate` measures one: derived from the publisher's timing of
  // one run (published_run, published_seconds end to end).
  model::CostProfile published_cost;
  WanWork published_run;
  double published_seconds = 0;
  std::string description;
};

const std::vector<WanSpec>& wan_specs();
// Throws NotFound listing the Wan ids.
const WanSpec& wan_spec(const std::string& id);

// The checkpoint folder the options point at for a model (it may not exist).
std::optional<std::filesystem::path> checkpoint_folder(const WanSpec& spec,
                                                       const WanOptions& options);
// The files a run needs, in the order they are checked (interfaces: checkpoint folder).
std::vector<std::filesystem::path> required_files(const WanSpec& spec,
                                                  const std::filesystem::path& folder);
// Throws NotFound naming the exact path of the first missing file, or saying which
// option to set when no folder is configured at all; InvalidInput when config.json is
// not the model's kind (reel-neural's torch-free locate_wan_folder does the reading).
void check_checkpoint(const WanSpec& spec, const WanOptions& options);
// Whether the weights are there: reason "weights: found at DIR" or "weights: not found,
// expected at PATH"; needs ["weights:<folder_name>"] when not.
model::Availability availability(const WanSpec& spec, const WanOptions& options);

// REEL_NEURAL_BIN, else reel-neural beside the running executable, else beside (or in
// ../bin of) the shared object holding this code (the Python module). NotFound if none.
std::filesystem::path find_reel_neural(const WanOptions& options);

std::shared_ptr<model::Model> make_wan_model(const WanSpec& spec, WanOptions options);
// Registers the three Wan models (after the studio models, so `pick` keeps
// preferring the offline ones). Models without weights stay registered.
void register_models(model::Registry& registry, const WanOptions& options = WanOptions::from_env());

// ---- calibration (`reel calibrate`) ----

// What one small generation measured and the CostProfile derived from it.
struct Calibration {
  std::string model;
  std::string device;
  std::string dtype;
  int width = 0, height = 0, frames = 0, steps = 0;
  double t5_seconds = 0, dit_seconds = 0, vae_seconds = 0, total_seconds = 0;
  model::CostProfile profile;

  Json to_json() const;
  static Calibration from_json(const Json& j);  // InvalidInput naming the bad key
};

struct CalibrateRequest {
  int width = 0, height = 0;  // 0 = a small size (a quarter of the default side, rounded)
  int frames = 5;
  int steps = 2;
};

// $calibration_dir/<model-id>.<device>.json (device "cuda:1" → "cuda").
std::filesystem::path calibration_file(const WanOptions& options, const std::string& model_id);
std::optional<Calibration> load_calibration(const WanOptions& options, const std::string& model_id);
// Derives the profile from measured timings at the model's default steps:
//   setup = total - dit - vae (process start, loading, T5); total is the larger of the
//   child's total_seconds and the adapter's wall clock around the child
//   per megapixel-frame = dit / steps / MPF x default_steps + vae / MPF
Calibration derive_calibration(const WanSpec& spec, Calibration measured);
// Multiply-adds x 2 of the DiT for one sampling step of `work` (both passes when
// guided): per block, the q/k/v/o and cross-attention q/o projections and the FFN
// (linear in the L latent tokens), self-attention scores and mixing (L^2), and
// cross-attention over text_len tokens. Patch embedding, head and norms are left out
// (under 1% at any size that matters).
double dit_flops_per_step(const WanSpec& spec, const WanWork& work);
// Seconds a run is expected to take:
//   setup + DiT seconds per FLOP x dit_flops_per_step x steps + VAE s/megapixel-frame x MPF
// Calibrated, every rate comes from the measured run (it is guided, at the default
// guidance), so the estimate of the calibration's own run is its measured total.
// Uncalibrated, the publisher's end-to-end time of its run is taken as all DiT (its
// split is not published), so its own run is estimated at exactly the published time.
// FLOPs, not pixels: attention grows with the square of the tokens, so a 720p clip costs
// far more than 4x a 360p one, and a small calibration run still extrapolates.
double estimate_seconds(const WanSpec& spec, const std::optional<Calibration>& calibration,
                        const WanWork& work);
// Runs the small generation through the adapter, derives and stores the profile.
Calibration calibrate(const WanSpec& spec, const WanOptions& options,
                      const CalibrateRequest& request, model::RunContext& ctx);

}  // namespace reel::wan
