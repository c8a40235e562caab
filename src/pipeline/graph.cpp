#include "reel/pipeline/graph.hpp"

#include "reel/core/error.hpp"

namespace reel::pipeline {

using model::Task;
using model::ValueType;

const TaskSpec& task_spec(Task task) {
  // Params mirror the typed requests in reel/model/tasks.hpp; "extra" (model-specific)
  // is allowed everywhere and not listed.
  static const TaskSpec text_to_image{{},
                                      {"prompt", "negative_prompt", "width", "height", "style"}};
  static const TaskSpec image_to_video{
      {{"image", ValueType::image, true}, {"background", ValueType::image, false}},
      {"motion", "duration", "fps", "width", "height", "crf", "preset"}};
  static const TaskSpec text_to_video{
      {}, {"prompt", "negative_prompt", "duration", "fps", "width", "height", "crf", "preset"}};
  static const TaskSpec composite{
      {{"foreground", ValueType::image, true}, {"background", ValueType::image, true}},
      {"x", "y", "scale"}};
  static const TaskSpec matting{{{"image", ValueType::image, true}}, {}};
  static const TaskSpec upscale{{{"image", ValueType::image, true}}, {"scale", "width", "height"}};
  switch (task) {
    case Task::text_to_image:
      return text_to_image;
    case Task::image_to_video:
      return image_to_video;
    case Task::text_to_video:
      return text_to_video;
    case Task::composite:
      return composite;
    case Task::matting:
      return matting;
    case Task::upscale:
      return upscale;
  }
  throw Error(ErrorKind::Internal, "task_spec: task " + std::to_string(int(task)) + " has no spec");
}

const Step* Graph::find(const std::string& id) const {
  for (const Step& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

Step* Graph::find(const std::string& id) {
  for (Step& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

const std::string& Graph::output_step() const {
  if (!output.empty() || steps.empty()) return output;
  return steps.back().id;
}

Json Graph::to_json() const {
  // The pipeline-file schema itself (docs/pipelines.md), so a report's description can
  // be fed back to `reel run`. base_dir is left out: it depends on where the file lay.
  Json j = Json::object();
  j["reel"] = 1;
  j["name"] = name;
  j["seed"] = seed;
  j["output"] = output_step();
  Json list = Json::array();
  for (const Step& s : steps) {
    Json step = Json::object();
    step["id"] = s.id;
    step["task"] = std::string(model::to_string(s.task));
    step["model"] = s.model;
    Json inputs = Json::object();
    for (const auto& [slot, ref] : s.inputs) inputs[slot] = ref;
    step["inputs"] = std::move(inputs);
    step["params"] = s.params;
    if (s.seed) step["seed"] = *s.seed;
    list.push_back(std::move(step));
  }
  j["steps"] = std::move(list);
  return j;
}

}  // namespace reel::pipeline
