// load_wan_folder_configs: the DiT, VAE and umT5 configurations of a checkpoint folder.
#include "neural/wan_folder.hpp"

#include <string>

#include "reel/core/error.hpp"

namespace reel::neural {

WanFolderConfigs load_wan_folder_configs(const WanFolderFiles& files) {
  WanFolderConfigs c;
  c.dit = load_wan_config(files.config);
  const bool v22 = files.vae_version == "2.2";
  c.vae = files.vae_config ? WanVaeConfig::from_json_file(*files.vae_config)
                           : (v22 ? WanVaeConfig::wan22() : WanVaeConfig::wan21());
  c.t5 = files.t5_config ? UMT5Config::from_json_file(*files.t5_config) : UMT5Config::xxl();

  const auto mismatch = [&](const std::string& what) {
    throw_error(ErrorKind::ModelLoad, "Wan checkpoint folder " + files.folder.string() +
                                          ": the models do not fit together: " + what);
  };
  const auto vae_src = files.vae_config ? files.vae_config->string() : "the official constants";
  const auto t5_src = files.t5_config ? files.t5_config->string() : "the official constants";
  if ((c.vae.version == WanVaeConfig::Version::v2_2) != v22)
    mismatch("model_type " + files.model_type + " ships with the Wan" + files.vae_version +
             " VAE, but " + vae_src + " describes the other version");
  if (c.dit.out_dim != c.vae.z_dim)
    mismatch("config.json out_dim " + std::to_string(c.dit.out_dim) + " != VAE z_dim " +
             std::to_string(c.vae.z_dim) + " (" + vae_src + ")");
  if (c.dit.in_dim != c.dit.out_dim && c.dit.model_type != WanModelType::i2v)
    mismatch("config.json in_dim " + std::to_string(c.dit.in_dim) + " != out_dim " +
             std::to_string(c.dit.out_dim) + " for a " + files.model_type + " model");
  if (c.dit.text_dim != c.t5.dim)
    mismatch("config.json text_dim " + std::to_string(c.dit.text_dim) + " != umT5 dim " +
             std::to_string(c.t5.dim) + " (" + t5_src + ")");
  return c;
}

}  // namespace reel::neural
