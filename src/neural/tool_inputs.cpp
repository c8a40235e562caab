#include "neural/tool_inputs.hpp"

#include "reel/core/error.hpp"

namespace reel::neural {

at::Tensor read_input_tensor(const SafetensorsFile& file, const std::string& name, std::size_t rank,
                             const std::string& expected, bool required) {
  const TensorInfo* info = file.find(name);
  if (info == nullptr) {
    if (!required) return {};
    throw Error(ErrorKind::InvalidInput, "inputs " + file.what() + " lack tensor '" + name +
                                             "' (expected " + expected + ")");
  }
  if (info->shape.size() != rank) {
    throw Error(ErrorKind::InvalidInput, "tensor '" + name + "' has shape " +
                                             shape_string(info->shape) + ", expected " + expected);
  }
  std::vector<float> values = file.to_f32(*info);  // ModelLoad for a non-float dtype
  return at::from_blob(values.data(), info->shape, at::kFloat).clone();
}

void expect_input_dim(const at::Tensor& tensor, const std::string& name, std::int64_t dim,
                      std::int64_t want, const std::string& expected) {
  if (tensor.size(dim) != want) {
    throw Error(ErrorKind::InvalidInput, "tensor '" + name + "' has shape " +
                                             shape_string(tensor.sizes().vec()) + ", expected " +
                                             expected);
  }
}

}  // namespace reel::neural
