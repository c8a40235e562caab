// The three Wan checkpoints reel knows: ids, official folder names, tasks and the
// publisher's defaults (research notes §1.7) and timings (§2.1, §2.2).
#include "reel/core/error.hpp"
#include "reel/wan/wan.hpp"

namespace reel::wan {
namespace {

using model::Task;

// A published end-to-end time of one run (50 steps, guided) and the profile it implies
// (seconds per output megapixel-frame, for listings; estimates use FLOPs).
void published(WanSpec& w, double seconds, int width, int height, int frames, std::string source) {
  w.published_run = {width, height, frames, 50, true};
  w.published_seconds = seconds;
  const double mpf = width * double(height) / 1e6 * frames;
  w.published_cost = {"cuda", 0.0, seconds / mpf,
                      "published, not measured here (run `reel calibrate`): " + std::move(source)};
}

std::vector<WanSpec> make_specs() {
  std::vector<WanSpec> s;
  {
    WanSpec w;
    w.id = "wan2.1-t2v-1.3b";
    w.folder_name = "Wan2.1-T2V-1.3B";
    w.name = "Wan2.1 text-to-video 1.3B";
    w.vae_file = "Wan2.1_VAE.pth";
    w.model_type = "t2v";
    w.tasks = {Task::text_to_video, Task::text_to_image};
    w.defaults = {832, 480, 81, 16, 50, 5.0, 5.0, "unipc"};
    w.size_multiple = 16;
    w.dit = {1536, 8960, 30};
    published(w, 261.4, 832, 480, 81, "Wan2.1 README, RTX 4090, 832x480x81, 50 steps");
    w.description =
        "Wan-AI's 1.3B flow-matching video DiT (umT5 text encoder, Wan2.1 VAE), run natively by "
        "reel-neural; 480p";
    s.push_back(std::move(w));
  }
  {
    WanSpec w;
    w.id = "wan2.1-t2v-14b";
    w.folder_name = "Wan2.1-T2V-14B";
    w.name = "Wan2.1 text-to-video 14B";
    w.vae_file = "Wan2.1_VAE.pth";
    w.model_type = "t2v";
    w.tasks = {Task::text_to_video, Task::text_to_image};
    w.defaults = {1280, 720, 81, 16, 50, 5.0, 5.0, "unipc"};
    w.size_multiple = 16;
    w.dit = {5120, 13824, 40};
    published(w, 1837.9, 1280, 720, 81, "Wan2.1 README, one H100/H800, 1280x720x81, 50 steps");
    w.description =
        "Wan-AI's 14B flow-matching video DiT (umT5 text encoder, Wan2.1 VAE), run natively by "
        "reel-neural; 480p and 720p";
    s.push_back(std::move(w));
  }
  {
    WanSpec w;
    w.id = "wan2.2-ti2v-5b";
    w.folder_name = "Wan2.2-TI2V-5B";
    w.name = "Wan2.2 text/image-to-video 5B";
    w.vae_file = "Wan2.2_VAE.pth";
    w.model_type = "ti2v";
    w.tasks = {Task::text_to_video, Task::image_to_video, Task::text_to_image};
    w.defaults = {1280, 704, 121, 24, 50, 5.0, 5.0, "unipc"};
    w.size_multiple = 32;
    w.dit = {3072, 14336, 30};
    published(w, 534.7, 1280, 704, 121, "Wan2.2 README, RTX 4090, 1280x704x121, 50 steps");
    w.description =
        "Wan-AI's 5B text- and image-to-video DiT with the 16x16 Wan2.2 VAE, run natively by "
        "reel-neural; 720p at 24 fps; the image is the first frame";
    s.push_back(std::move(w));
  }
  return s;
}

}  // namespace

const std::vector<WanSpec>& wan_specs() {
  static const std::vector<WanSpec> specs = make_specs();
  return specs;
}

const WanSpec& wan_spec(const std::string& id) {
  std::string ids;
  for (const WanSpec& s : wan_specs()) {
    if (s.id == id) return s;
    ids += (ids.empty() ? "" : ", ") + s.id;
  }
  throw Error(ErrorKind::NotFound, "no Wan model '" + id + "'; Wan models: " + ids);
}

}  // namespace reel::wan
