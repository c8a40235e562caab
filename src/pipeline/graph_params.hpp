#pragma once
// Private to the pipeline layer: checks of one step's params (keys, types, limits).
#include <string>
#include <vector>

#include "reel/model/limits.hpp"
#include "reel/pipeline/graph.hpp"

namespace reel::pipeline::detail {

// x264 presets, fastest first: the values `preset` accepts.
const std::vector<std::string>& x264_presets();

// Throws InvalidInput "step '<id>': ..." naming the param and what is allowed.
void check_params(const Step& step, const model::Limits& limits);

// "an integer", "a string", "a list", ... for messages.
std::string json_type_name(const Json& v);

// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace reel::pipeline::detail
