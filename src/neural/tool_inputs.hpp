#pragma once
// Reading the tensors a `reel neural` tool takes from its inputs file, with messages that
// name the tensor, its shape and the shape expected. Shared by dit-forward and dit-sample.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "neural/checkpoint_check.hpp"  // shape_string
#include "reel/neural/safetensors.hpp"

namespace reel::neural {

// A float tensor from the file, widened to fp32 on the CPU, with its rank checked; an
// undefined tensor when absent and not required. `expected` is the shape named in messages.
at::Tensor read_input_tensor(const SafetensorsFile& file, const std::string& name, std::size_t rank,
                             const std::string& expected, bool required);

// InvalidInput unless tensor.size(dim) == want.
void expect_input_dim(const at::Tensor& tensor, const std::string& name, std::int64_t dim,
                      std::int64_t want, const std::string& expected);

}  // namespace reel::neural
