// libFuzzer target: decode_png must turn any bytes into an Image or a reel::Error,
// never a crash, leak, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <span>

#include "reel/core/error.hpp"
#include "reel/media/png.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The header-only size read (server uploads are refused by it before decoding).
  try {
    (void)reel::media::png_size(std::span(data, size), "fuzz input");
  } catch (const reel::Error&) {
  }
  try {
    reel::media::Image image = reel::media::decode_png(std::span(data, size), "fuzz input");
    // A decoded image is whole: touch its last byte so ASan sees any short buffer.
    volatile std::uint8_t last = image.u8()[image.pixel_count() * 4 - 1];
    (void)last;
  } catch (const reel::Error&) {
  }
  return 0;
}
