#pragma once
// What the CPU offers the neural engine (read from /proc/cpuinfo, torch-free), and the
// compute dtype chosen from it when --dtype is not given (docs/neural.md, "Default
// compute dtype": measured there, on this project's machine).
#include <string>
#include <string_view>

#include "reel/neural/runtime.hpp"

namespace reel::neural {

// The CPU as /proc/cpuinfo names it: what oneDNN can use for bf16 matmuls.
struct CpuFeatures {
  std::string model;
  int cores = 0;  // logical CPUs this process may run on
  bool avx2 = false, avx512f = false;
  bool avx512_bf16 = false;  // native bf16 dot products (Cooper Lake, Zen 4 and later)
  bool amx_bf16 = false, amx_tile = false;  // Sapphire Rapids and later
  bool native_bf16() const { return avx512_bf16 || amx_bf16; }
};
// `cpuinfo` is /proc/cpuinfo's text (the first processor's fields are used).
CpuFeatures parse_cpu_features(std::string_view cpuinfo, int cores);
// This machine; fields stay false when /proc/cpuinfo cannot be read.
CpuFeatures cpu_features();

// The compute dtype when --dtype is not given. CPU: bf16 where the CPU has native bf16
// instructions (measured faster than fp32 at an error the docs accept, docs/neural.md),
// else fp32 (oneDNN emulates bf16 there). CUDA: fp32 (not measured here yet).
DType default_compute_dtype(Device device, const CpuFeatures& cpu);

}  // namespace reel::neural
