#pragma once
#include <string>
#include <string_view>

namespace reel::model {

// What a step does. Each task has a typed request/result in tasks.hpp.
enum class Task {
  text_to_image,   // prompt → still (RGBA, optional depth / rig / light)
  image_to_video,  // still(s) + motion prompt → video
  text_to_video,   // prompt → video
  composite,       // foreground still over background still → still
  matting,         // still → still with alpha
  upscale,         // still → larger still
};

// What flows along a graph edge.
enum class ValueType { image, video };

std::string_view to_string(Task t);
Task task_from_string(std::string_view s);  // InvalidInput lists the allowed names
std::string_view to_string(ValueType v);
ValueType output_type(Task t);

}  // namespace reel::model
