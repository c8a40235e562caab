#include "neural/runtime.hpp"

#include <ATen/Parallel.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "neural/checkpoint_check.hpp"

#if __has_include(<cuda_runtime_api.h>) && __has_include(<c10/cuda/CUDAFunctions.h>)
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#define REEL_HAVE_CUDA_RUNTIME 1
#endif

namespace reel::neural {

Device parse_device(std::string_view text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  if (text.starts_with("cuda:")) {
    auto digits = text.substr(5);
    int index = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
        index >= 0 && index < 64) {
      return Device::cuda(index);
    }
  }
  throw Error(ErrorKind::InvalidInput, "unknown device '" + std::string(text) +
                                           "' (allowed: cpu, cuda, cuda:N with N in 0..63)");
}

std::string to_string(Device device) {
  return device.is_cuda() ? "cuda:" + std::to_string(device.index) : "cpu";
}

DType parse_compute_dtype(std::string_view text) {
  if (text == "fp32" || text == "float32" || text == "f32") return DType::f32;
  if (text == "bf16" || text == "bfloat16") return DType::bf16;
  if (text == "fp16" || text == "float16" || text == "f16") return DType::f16;
  throw Error(ErrorKind::InvalidInput,
              "unknown compute dtype '" + std::string(text) + "' (allowed: fp32, bf16, fp16)");
}

std::string_view compute_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "fp32";
    case DType::bf16:
      return "bf16";
    case DType::f16:
      return "fp16";
    default:
      throw Error(ErrorKind::InvalidInput,
                  std::string("dtype ") + std::string(dtype_name(dtype)) +
                      " is not a compute dtype (allowed: fp32, bf16, fp16)");
  }
}

void init_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0) at::set_num_threads(static_cast<int>(cores));
  });
}

c10::Device to_torch(Device device) {
  if (!device.is_cuda()) return c10::Device(c10::kCPU);
  if (!at::hasCUDA()) {
    throw Error(ErrorKind::Unsupported,
                "device " + to_string(device) +
                    " requested but this build of reel has no CUDA (LibTorch without CUDA, or "
                    "no GPU/driver on this machine); use --device cpu or build against a CUDA "
                    "LibTorch (docs/neural.md)");
  }
  auto count = static_cast<int>(at::getNumGPUs());
  if (device.index >= count) {
    throw Error(ErrorKind::InvalidInput, "device " + to_string(device) + " does not exist (" +
                                             std::to_string(count) + " CUDA device(s): cuda:0.." +
                                             "cuda:" + std::to_string(count - 1) + ")");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(device.index));
}

at::ScalarType to_scalar_type(DType dtype) {
  if (auto t = torch_float_dtype(dtype)) return *t;
  compute_dtype_name(dtype);  // throws the InvalidInput
  return at::kFloat;
}

std::optional<std::uint64_t> available_bytes(Device device) {
  if (device.is_cuda()) {
#ifdef REEL_HAVE_CUDA_RUNTIME
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device.index));
    std::size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) return free_bytes;
#endif
    return std::nullopt;
  }
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

std::string format_bytes(std::uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GiB (%llu bytes)", static_cast<double>(bytes) / (1u << 30),
                static_cast<unsigned long long>(bytes));
  return buf;
}

void throw_out_of_memory(std::string_view what, Device device,
                         std::optional<std::uint64_t> needed) {
  std::string message = "out of memory on " + to_string(device) + " " + std::string(what) + ": ";
  message += needed ? "needs " + format_bytes(*needed) : "needs an unknown amount";
  auto available = available_bytes(device);
  message += available ? ", " + format_bytes(*available) + " available" : ", available unknown";
  throw Error(ErrorKind::OutOfMemory, message);
}

void check_fits(std::string_view what, Device device, std::uint64_t needed) {
  auto available = available_bytes(device);
  if (available && needed > *available) throw_out_of_memory(what, device, needed);
}

std::optional<std::uint64_t> parse_allocation_bytes(std::string_view message) {
  // CPU allocator: "... can't allocate memory: you tried to allocate 123456 bytes."
  for (auto at = message.find("allocate "); at != std::string_view::npos;
       at = message.find("allocate ", at + 1)) {
    auto digits = message.substr(at + 9);
    std::uint64_t bytes = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bytes);
    std::string_view rest(end, static_cast<std::size_t>(digits.data() + digits.size() - end));
    if (ec == std::errc() && rest.starts_with(" bytes")) return bytes;
  }
  return std::nullopt;
}

bool is_allocation_failure(const c10::Error& e) {
  if (dynamic_cast<const c10::OutOfMemoryError*>(&e) != nullptr) return true;
  std::string_view m = e.what();
  return m.find("out of memory") != std::string_view::npos ||
         m.find("not enough memory") != std::string_view::npos ||
         m.find("can't allocate") != std::string_view::npos;
}

}  // namespace reel::neural
