// Prices move: each row says where its figure comes from and when it was read.
#include "providers/model_table.hpp"

namespace reel::providers {

using model::PricePer;
using model::Task;

const std::vector<ModelRow>& model_table() {
  static const std::vector<ModelRow> rows = [] {
    std::vector<ModelRow> r;
    {
      ModelRow m;
      m.provider = "fal";
      m.model = "fal-ai/flux/dev";
      m.name = "FLUX.1 [dev] on fal";
      m.tasks = {Task::text_to_image};
      m.price = {PricePer::megapixel, 0.025,
                 "fal.ai model page fal-ai/flux/dev: $0.025 per megapixel, rounded up to whole "
                 "megapixels (read 2026-12)"};
      m.typical_seconds = 6;
      m.size_field = "image_size";
      r.push_back(m);
    }
    {
      ModelRow m;
      m.provider = "fal";
      m.model = "fal-ai/kling-video/v2.1/standard/image-to-video";
      m.name = "Kling 2.1 Standard image-to-video on fal";
      m.tasks = {Task::image_to_video};
      m.price = {PricePer::output_second, 0.056,
                 "fal.ai model page (llms.txt): $0.28 for 5 s, $0.056 per further second "
                 "(read 2026-12)"};
      m.typical_seconds = 120;
      m.duration = DurationRule{"duration", {5, 10}, true};
      m.image_field = "image_url";
      r.push_back(m);
    }
    {
      ModelRow m;
      m.provider = "replicate";
      m.model = "wan-video/wan-2.2-i2v-fast";
      m.name = "Wan 2.2 image-to-video (fast) on Replicate";
      m.tasks = {Task::image_to_video};
      m.price = {PricePer::unpriced, 0, "no published per-call price found; set one in prices"};
      m.typical_seconds = 60;
      m.image_field = "image";
      r.push_back(m);
    }
    return r;
  }();
  return rows;
}

const ModelRow* find_row(const std::string& provider, const std::string& model) {
  for (const auto& r : model_table())
    if (r.provider == provider && r.model == model) return &r;
  return nullptr;
}

}  // namespace reel::providers
