// libFuzzer target: SafetensorsFile::parse must turn any bytes into validated tensors
// or a reel::Error, never a crash, leak, hang or sanitizer report; and every tensor it
// accepts must convert (or refuse to) without touching bytes outside the input.
#include <cstddef>
#include <cstdint>
#include <span>

#include "reel/core/error.hpp"
#include "reel/neural/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto file = reel::neural::SafetensorsFile::parse(std::span(data, size), "fuzz input");
    std::uint64_t budget = 1u << 20;  // elements converted per input, so each run stays fast
    for (const auto& tensor : file.tensors()) {
      const auto bytes = file.data(tensor);
      if (!bytes.empty()) {
        volatile std::uint8_t last = bytes.back();  // ASan sees a span past the input
        (void)last;
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
  } catch (const reel::Error&) {
  }
  return 0;
}
