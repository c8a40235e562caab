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
    {
      ModelRow m;
      m.provider = "runway";
      m.model = "gen4_turbo";
      m.name = "Runway Gen-4 Turbo image-to-video";
      m.tasks = {Task::image_to_video};
      m.price = {PricePer::output_second, 0.05,
                 "5 Runway credits per output second at $0.01 per credit, as quoted by "
                 "runware.ai's Gen-4 Turbo page and developer.muvi.video ($0.05/s); Runway's "
                 "own pricing page not read (read 2026-12)"};
      m.typical_seconds = 90;
      m.duration = DurationRule{"duration", {5, 10}, false, ""};
      m.ratios = {"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"};
      m.image_field = "promptImage";
      r.push_back(m);
    }
    {
      ModelRow m;
      m.provider = "runway";
      m.model = "gen4_image";
      m.name = "Runway Gen-4 Image";
      m.tasks = {Task::text_to_image};
      m.price = {PricePer::unpriced, 0,
                 "no per-image price found in a source that could be read; set one in prices"};
      m.typical_seconds = 30;
      // The output sizes the SDK's text_to_image params list for gen4_image.
      m.ratios = {"1024:1024", "1080:1080", "1168:880",  "1360:768", "1440:1080", "1080:1440",
                  "1808:768",  "1920:1080", "1080:1920", "2112:912", "1280:720",  "720:1280",
                  "720:720",   "960:720",   "720:960",   "1680:720"};
      r.push_back(m);
    }
    {
      ModelRow m;
      m.provider = "bfl";
      m.model = "flux-pro-1.1";
      m.name = "FLUX1.1 [pro] by Black Forest Labs";
      m.tasks = {Task::text_to_image};
      m.price = {PricePer::image, 0.04,
                 "docs.bfl.ml FLUX1.1 [pro] page: $0.04 per image (read 2026-12)"};
      m.typical_seconds = 10;
      r.push_back(m);
    }
    for (const char* model : {"ray-2", "ray-flash-2"}) {
      ModelRow m;
      m.provider = "luma";
      m.model = model;
      m.name = std::string("Luma ") + (m.model == "ray-2" ? "Ray 2" : "Ray 2 Flash");
      m.tasks = {Task::text_to_video, Task::image_to_video};
      // Luma bills credits by output pixels and seconds; only resellers' figures were found.
      m.price = {PricePer::unpriced, 0,
                 "no price published by Luma found (it bills credits by pixels and seconds); "
                 "set one in prices"};
      m.typical_seconds = 120;
      m.duration = DurationRule{"duration", {5, 9}, true, "s"};
      m.ratios = {"16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"};
      m.image_field = "keyframes";
      r.push_back(m);
    }
    {
      ModelRow m;
      m.provider = "kling";
      m.model = "kling-v2-1";
      m.name = "Kling 2.1 (Kling's own API)";
      m.tasks = {Task::text_to_video, Task::image_to_video};
      // Kling sells prepaid resource packs in units; the units a 2.1 clip costs were not
      // found in a source that could be read.
      m.price = {PricePer::unpriced, 0,
                 "Kling bills prepaid units per clip; no per-clip figure for kling-v2-1 found "
                 "in Kling's own pages; set one in prices"};
      m.typical_seconds = 180;
      m.duration = DurationRule{"duration", {5, 10}, true};
      m.ratios = {"16:9", "9:16", "1:1"};
      m.image_field = "image";
      r.push_back(m);
    }
    // Alibaba quotes Wan's price in CNY for the mainland; no international USD figure was
    // read, so the rows stay unpriced with the CNY figure in the source text.
    for (const char* model : {"wan2.2-t2v-plus", "wan2.2-i2v-plus"}) {
      ModelRow m;
      m.provider = "dashscope";
      m.model = model;
      const bool from_image = m.model == "wan2.2-i2v-plus";
      m.name = std::string("Wan 2.2 Plus ") + (from_image ? "image" : "text") +
               "-to-video on Alibaba Cloud Model Studio";
      m.tasks = {from_image ? Task::image_to_video : Task::text_to_video};
      m.price = {PricePer::unpriced, 0,
                 "CNY 0.14 per second at 480P, CNY 0.70 at 1080P (mainland price, as quoted "
                 "from Alibaba by docs.crazyrouter.com, read 2026-12); the international USD "
                 "price was not read; set one in prices"};
      m.typical_seconds = 240;
      m.duration = DurationRule{"duration", {5}, false, ""};  // 2.2 Plus makes 5 s only
      if (!from_image)  // the 480P and 1080P sizes of the text-to-video reference
        m.ratios = {"832*480",   "480*832",   "624*624",   "1920*1080",
                    "1080*1920", "1440*1440", "1632*1248", "1248*1632"};
      m.image_field = "img_url";
      r.push_back(m);
    }
    {
      ModelRow m;
      m.provider = "veo";
      m.model = "veo-3.0-generate-001";
      m.name = "Veo 3 (Gemini API)";
      m.tasks = {Task::text_to_video, Task::image_to_video};
      m.price = {PricePer::output_second, 0.40,
                 "$0.40 per output second with audio, as the team's research notes quote "
                 "third-party listings; Google's own Gemini API pricing page not read "
                 "(read 2026-12)"};
      m.typical_seconds = 120;
      m.duration = DurationRule{"durationSeconds", {8}, false, ""};  // Veo 3 makes 8 s clips
      m.ratios = {"16:9", "9:16"};
      m.image_field = "image";
      r.push_back(m);
    }
    {
      ModelRow m;
      m.provider = "openai";
      m.model = "gpt-image-1";
      m.name = "GPT Image 1 (OpenAI)";
      m.tasks = {Task::text_to_image};
      // The price depends on quality and size, which provider_input may set.
      m.price = {PricePer::unpriced, 0,
                 "about $0.011 / $0.042 / $0.167 per 1024x1024 image at low / medium / high "
                 "quality, as the team's research notes quote a reseller (read 2026-12); "
                 "OpenAI's own pricing page not read; set one in prices"};
      m.typical_seconds = 40;
      m.ratios = {"1024x1024", "1536x1024", "1024x1536"};
      r.push_back(m);
    }
    // The licensed-data providers: both say their models learned from licensed content
    // only, so --policy commercial-safe allows them.
    {
      ModelRow m;
      m.provider = "bria";
      m.model = "fibo";
      m.name = "Bria FIBO (Bria's v2 image generation)";
      m.tasks = {Task::text_to_image};
      m.price = {PricePer::unpriced, 0,
                 "no per-image price found in Bria's public docs (read 2026-12); set one in "
                 "prices"};
      m.typical_seconds = 15;
      // The aspect ratios every FIBO resolution takes (the wider ones have extra limits).
      m.ratios = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9"};
      m.training_data = model::TrainingData::licensed;
      m.training_data_note =
          "Bria states its models are trained only on licensed data from its content partners";
      r.push_back(m);
    }
    {
      ModelRow m;
      m.provider = "firefly";
      m.model = "image4_standard";
      m.name = "Adobe Firefly Image 4 (Firefly Services)";
      m.tasks = {Task::text_to_image};
      // Firefly Services is sold under enterprise agreements; no list price was found.
      m.price = {PricePer::unpriced, 0,
                 "Firefly Services is priced per enterprise agreement; no public per-image "
                 "price found (read 2026-12); set one in prices"};
      m.typical_seconds = 20;
      m.training_data = model::TrainingData::licensed;
      m.training_data_note =
          "Adobe states Firefly is trained on licensed content such as Adobe Stock and on "
          "public-domain content";
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
