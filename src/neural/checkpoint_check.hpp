#pragma once
// What the weight loaders of the DiT, the VAE and umT5 share when they match a checkpoint
// against the parameters a config expects: the dtypes they take as they are, and one
// ModelLoad message that lists every mismatch at once (so a user fixes them in one go).
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/neural/safetensors.hpp"

namespace reel::neural {

std::string shape_string(const std::vector<std::int64_t>& shape);

// The ATen dtype of a stored float the loaders copy as it is (F32, BF16, F16); nullopt
// for anything else (F8 is widened by the caller, integers are refused).
std::optional<at::ScalarType> torch_float_dtype(DType dtype);

struct CheckpointMismatch {
  std::vector<std::string> missing, unexpected, misshaped, duplicated, bad_dtype;

  void add_misshaped(const std::string& key, const std::vector<std::int64_t>& got,
                     const std::vector<std::int64_t>& expected);
  void add_bad_dtype(const std::string& key, DType dtype);
  // Throws ModelLoad "checkpoint does not match the <model> config; 2 missing: a, b; ..."
  // (each list capped at 12 names) with `what` as context, when any list is non-empty.
  // `allowed_dtypes` completes "not float (allowed ...)".
  void throw_if_any(std::string_view model, std::string_view allowed_dtypes,
                    const std::string& what) const;
};

}  // namespace reel::neural
