#include "reel/model/task.hpp"

#include <string>

#include "model/enum_names.hpp"
#include "reel/core/error.hpp"

namespace reel::model {
namespace {
constexpr std::pair<Task, std::string_view> kTasks[] = {
    {Task::text_to_image, "text_to_image"},
    {Task::image_to_video, "image_to_video"},
    {Task::text_to_video, "text_to_video"},
    {Task::composite, "composite"},
    {Task::matting, "matting"},
    {Task::upscale, "upscale"},
};
}  // namespace

std::string_view to_string(Task t) {
  return detail::enum_name(kTasks, t, "unknown");
}

Task task_from_string(std::string_view s) {
  return detail::enum_from_name(kTasks, s, "task");
}

std::string_view to_string(ValueType v) {
  return v == ValueType::image ? "image" : "video";
}

ValueType output_type(Task t) {
  switch (t) {
    case Task::image_to_video:
    case Task::text_to_video:
      return ValueType::video;
    default:
      return ValueType::image;
  }
}

}  // namespace reel::model
