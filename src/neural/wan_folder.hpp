#pragma once
// The engine's side of a Wan checkpoint folder: the three models' configurations, read
// from the folder (config.json, and vae_config.json / t5_config.json when present) and
// checked against each other before any weights load.
#include "neural/umt5.hpp"
#include "neural/wan_config.hpp"
#include "neural/wan_vae.hpp"
#include "reel/neural/wan_folder.hpp"

namespace reel::neural {

struct WanFolderConfigs {
  WanConfig dit;
  WanVaeConfig vae;
  UMT5Config t5;
};

// ModelLoad naming both files when the models do not fit together (the DiT's text_dim
// is not the encoder's dim, its out_dim is not the VAE's z_dim, or the VAE version is
// not the one the model type ships with).
WanFolderConfigs load_wan_folder_configs(const WanFolderFiles& files);

}  // namespace reel::neural
