#pragma once
// The seed-shaped API: a character still for control, an environment still, then
// the character animated over the environment from a motion prompt.
//
//   auto c = reel::character_api::generate({.prompt = "female astronaut", .style = "4k"});
//   auto b = reel::environment_api::generate({.prompt = "surface of Mars, dust storm"});
//   auto v = reel::animator_api::animate_from_image(
//       {.base_image = c, .background = b, .motion = "subtle head turn"});
//   v.save("astronaut_on_mars.mp4");
//
// Every call runs through the pipeline, so the cache and the cost ledger apply, and
// takes what the pipeline file's step takes (docs/pipelines.md): the task's params,
// `extra` (model-specific settings, passed to the model untouched) and a seed. A
// cancelled `cancel` token stops the call (Error Cancelled; nothing half-written).
#include <optional>
#include <string>

#include "reel/core/cancel.hpp"
#include "reel/core/json.hpp"
#include "reel/sdk/results.hpp"
#include "reel/sdk/session.hpp"

namespace reel {

using sdk::Session;
using sdk::StillImage;
using sdk::VideoClip;

namespace character_api {
struct GenerateParams {
  std::string prompt;
  std::string style;  // "4k" → 3840 wide; "photorealistic" → best shading
  int width = 0;
  int height = 0;
  std::uint64_t seed = 0;
  std::string model = "studio-character";
  std::string negative_prompt;
  Json extra = Json::object();  // the step's params.extra
  CancelToken cancel;
};
StillImage generate(const GenerateParams& params, Session& session = Session::default_session());
}  // namespace character_api

namespace environment_api {
struct GenerateParams {
  std::string prompt;
  std::string style;
  int width = 0;
  int height = 0;
  std::uint64_t seed = 0;
  std::string model = "studio-environment";
  std::string negative_prompt;
  Json extra = Json::object();  // the step's params.extra
  CancelToken cancel;
};
StillImage generate(const GenerateParams& params, Session& session = Session::default_session());
}  // namespace environment_api

namespace animator_api {
struct AnimateParams {
  StillImage base_image;
  std::optional<StillImage> background;
  std::string motion;
  double duration = 5.0;  // seconds
  double fps = 24.0;
  int width = 0;  // 0 = the background's size
  int height = 0;
  std::uint64_t seed = 0;
  std::string model = "studio-animator";
  std::optional<int> crf;  // H.264 quality 0..51; unset = the model's default (18)
  std::string preset;      // x264 preset; empty = the model's default (veryfast)
  Json extra = Json::object();
  CancelToken cancel;
};
VideoClip animate_from_image(const AnimateParams& params,
                             Session& session = Session::default_session());
}  // namespace animator_api

}  // namespace reel
