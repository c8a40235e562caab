#include "neural/checkpoint_check.hpp"

#include "reel/core/error.hpp"

namespace reel::neural {

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::optional<at::ScalarType> torch_float_dtype(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return at::kFloat;
    case DType::bf16:
      return at::kBFloat16;
    case DType::f16:
      return at::kHalf;
    default:
      return std::nullopt;
  }
}

void CheckpointMismatch::add_misshaped(const std::string& key, const std::vector<std::int64_t>& got,
                                       const std::vector<std::int64_t>& expected) {
  misshaped.push_back(key + " " + shape_string(got) + " (expected " + shape_string(expected) + ")");
}

void CheckpointMismatch::add_bad_dtype(const std::string& key, DType dtype) {
  bad_dtype.push_back(key + " " + std::string(dtype_name(dtype)));
}

void CheckpointMismatch::throw_if_any(std::string_view model, std::string_view allowed_dtypes,
                                      const std::string& what) const {
  if (missing.empty() && unexpected.empty() && misshaped.empty() && duplicated.empty() &&
      bad_dtype.empty()) {
    return;
  }
  std::string message = "checkpoint does not match the " + std::string(model) + " config";
  auto section = [&](const std::string& label, const std::vector<std::string>& items) {
    if (items.empty()) return;
    constexpr std::size_t cap = 12;
    message += "; " + std::to_string(items.size()) + " " + label + ": ";
    for (std::size_t i = 0; i < items.size() && i < cap; ++i) message += (i ? ", " : "") + items[i];
    if (items.size() > cap) message += ", ... (" + std::to_string(items.size() - cap) + " more)";
  };
  section("missing", missing);
  section("unexpected", unexpected);
  section("mis-shaped", misshaped);
  section("given twice", duplicated);
  section("not float (allowed " + std::string(allowed_dtypes) + ")", bad_dtype);
  throw Error(ErrorKind::ModelLoad, message).add_context(what);
}

}  // namespace reel::neural
