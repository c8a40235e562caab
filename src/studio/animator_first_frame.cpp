#include "reel/model/registry.hpp"
#include "reel/studio/animator.hpp"

namespace reel::studio {

media::Image composite_first_frame(const model::ImageToVideoRequest& r, int width, int height) {
  static const std::shared_ptr<model::Model> animator = make_animator_model();
  model::ImageToVideoRequest still;
  still.image = r.image;
  still.background = r.background;
  still.motion = "still";
  still.fps = 25;
  still.duration_seconds = 0.04;  // one frame
  still.width = width;
  still.height = height;
  still.seed = r.seed;
  still.params = Json{{"ambient_weather", false}};
  model::RunContext quiet;
  quiet.cancel = CancelToken();
  auto v = model::as_task<model::ImageToVideo>(*animator, model::Task::image_to_video)
               .animate(still, quiet);
  return v.video.frames.at(0).to_u8();
}

}  // namespace reel::studio
