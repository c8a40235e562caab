#pragma once
// Shared set-up for the Wan adapter tests: a checkpoint folder with the expected file
// names (placeholder bytes: the test double never reads them) and options that run
// tests/wan/fake_reel_neural.py as the child.
#include <cstdlib>
#include <fstream>
#include <string>

#include "reel/pipeline/graph.hpp"
#include "reel/wan/wan.hpp"
#include "support/test_dirs.hpp"

namespace reel::testing {

inline const char* kFakeChild = REEL_SOURCE_DIR "/tests/wan/fake_reel_neural.py";

// Writes the files interfaces.md lists into root/<official folder name>/.
inline std::filesystem::path make_placeholder_folder(const std::filesystem::path& root,
                                                     const wan::WanSpec& spec) {
  const auto dir = root / spec.folder_name;
  std::filesystem::create_directories(dir / "google" / "umt5-xxl");
  for (const std::string& name :
       {std::string("config.json"), std::string("diffusion_pytorch_model.safetensors"),
        spec.vae_file, std::string("models_t5_umt5-xxl-enc-bf16.pth"),
        std::string("google/umt5-xxl/spiece.model")})
    std::ofstream(dir / name) << "{\"placeholder\": \"" << name << "\"}";
  std::ofstream(dir / "config.json") << "{\"model_type\": \"" << spec.model_type << "\"}";
  return dir;
}

inline wan::WanOptions fake_options(const TempDir& dir) {
  wan::WanOptions o;
  o.models_root = dir / "models";
  o.neural_bin = kFakeChild;
  o.calibration_dir = dir / "calibration";
  o.kill_grace = std::chrono::milliseconds(500);
  for (const auto& spec : wan::wan_specs()) make_placeholder_folder(o.models_root, spec);
  return o;
}

// Sets an environment variable for one scope (the child inherits it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// A one-step text-to-video pipeline on wan2.1-t2v-1.3b: 64x32, 2 sampling steps.
inline pipeline::Graph wan_t2v_graph(const std::string& name, std::uint64_t seed,
                                     const std::string& prompt, double duration, double fps) {
  pipeline::Graph g;
  g.name = name;
  g.seed = seed;
  g.steps.push_back({"clip",
                     model::Task::text_to_video,
                     "wan2.1-t2v-1.3b",
                     {},
                     {{"prompt", prompt},
                      {"width", 64},
                      {"height", 32},
                      {"duration", duration},
                      {"fps", fps},
                      {"extra", {{"steps", 2}}}},
                     {}});
  return g;
}

}  // namespace reel::testing
