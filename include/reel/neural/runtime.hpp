#pragma once
// Where and in what precision the neural engine computes, named without LibTorch so
// the CLI, the server and the pipeline can pass them around as plain values.
#include <string>
#include <string_view>

#include "reel/neural/safetensors.hpp"

namespace reel::neural {

struct Device {
  enum class Kind { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;  // the CUDA ordinal; always 0 for the CPU

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {Kind::cuda, index}; }
  bool is_cuda() const { return kind == Kind::cuda; }
  bool operator==(const Device&) const = default;
};

// "cpu", "cuda" (ordinal 0) or "cuda:N"; anything else is InvalidInput naming the
// allowed spellings. Availability is checked when a model is placed, not here.
Device parse_device(std::string_view text);
std::string to_string(Device device);

// Compute dtype for matmuls: "fp32" | "bf16" | "fp16" (also "float32", "bfloat16",
// "float16", "f32", "f16"). Returns DType::f32, bf16 or f16.
DType parse_compute_dtype(std::string_view text);
// "fp32", "bf16", "fp16"; InvalidInput for a dtype that is not a compute dtype.
std::string_view compute_dtype_name(DType dtype);

}  // namespace reel::neural
