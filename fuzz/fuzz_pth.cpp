// libFuzzer target: PthFile::parse must turn any bytes into validated tensors or a
// reel::Error, never a crash, leak, hang or sanitizer report; every tensor it accepts
// must convert (or refuse to) and give its bytes without touching bytes outside the
// input, and the checksum pass must read only inside it.
#include <cstddef>
#include <cstdint>
#include <span>

#include "reel/core/error.hpp"
#include "reel/neural/pth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto file = reel::neural::PthFile::parse(std::span(data, size), "fuzz input");
    std::uint64_t budget = 1u << 20;  // elements converted per input, so each run stays fast
    for (const auto& tensor : file.tensors()) {
      const auto storage = file.storage_bytes(tensor);
      if (!storage.empty()) {
        volatile std::uint8_t last = storage.back();  // ASan sees a span past the input
        (void)last;
      }
      if (tensor.is_contiguous()) {
        const auto bytes = file.data(tensor);
        if (bytes.size() != tensor.element_count() * reel::neural::dtype_size(tensor.dtype)) {
          __builtin_trap();
        }
        if (!bytes.empty()) {
          volatile std::uint8_t last = bytes.back();
          (void)last;
        }
      }
      const std::uint64_t n = tensor.element_count();
      if (n > budget) continue;
      budget -= n;
      try {
        const auto values = file.to_f32(tensor);
        if (values.size() != n) __builtin_trap();
      } catch (const reel::Error&) {
      }
    }
    try {
      file.verify_checksums();
    } catch (const reel::Error&) {
    }
  } catch (const reel::Error&) {
  }
  return 0;
}
