#pragma once
// LibTorch side of the runtime: device placement, compute dtypes, threads and
// memory accounting. Torch types stay inside src/neural.
#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "reel/core/error.hpp"
#include "reel/neural/runtime.hpp"

namespace reel::neural {

// Sets ATen's intra-op thread count to the machine's cores, once per process
// (Debian's LibTorch starts with 1).
void init_threads();

// The torch device; Unsupported when CUDA is asked for and this build or machine
// has none, InvalidInput when the ordinal is out of range.
c10::Device to_torch(Device device);
// f32 / bf16 / f16 → the ScalarType; other dtypes are InvalidInput.
at::ScalarType to_scalar_type(DType dtype);

// Bytes that can still be allocated on the device: MemAvailable from /proc/meminfo
// for the CPU, the CUDA driver's free memory for a GPU; nullopt when unknown.
std::optional<std::uint64_t> available_bytes(Device device);

// "12.3 GiB (13207024435 bytes)"
std::string format_bytes(std::uint64_t bytes);

// OutOfMemory naming what was being done, the bytes needed (when known) and the
// bytes available on the device.
[[noreturn]] void throw_out_of_memory(std::string_view what, Device device,
                                      std::optional<std::uint64_t> needed);

// Refuses up front when `needed` bytes exceed what the device has available.
void check_fits(std::string_view what, Device device, std::uint64_t needed);

// Runs fn, turning allocation failures (std::bad_alloc, c10 allocator errors) into
// OutOfMemory with needed vs available bytes; `estimate` is used when the allocator's
// message does not say how much it wanted.
std::optional<std::uint64_t> parse_allocation_bytes(std::string_view message);
bool is_allocation_failure(const c10::Error& e);

template <class Fn>
decltype(auto) guard_memory(std::string_view what, Device device,
                            std::optional<std::uint64_t> estimate, Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    throw_out_of_memory(what, device, estimate);
  } catch (const c10::Error& e) {
    if (!is_allocation_failure(e)) throw;
    auto wanted = parse_allocation_bytes(e.what());
    throw_out_of_memory(what, device, wanted ? wanted : estimate);
  }
}

}  // namespace reel::neural
