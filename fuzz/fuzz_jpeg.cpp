// libFuzzer target: decode_jpeg must turn any bytes into an Image or a reel::Error.
#include <cstddef>
#include <cstdint>
#include <span>

#include "reel/core/error.hpp"
#include "reel/media/jpeg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The header-only size read (server uploads are refused by it before decoding).
  try {
    (void)reel::media::jpeg_size(std::span(data, size), "fuzz input");
  } catch (const reel::Error&) {
  }
  try {
    reel::media::Image image = reel::media::decode_jpeg(std::span(data, size), "fuzz input");
    volatile std::uint8_t last = image.u8()[image.pixel_count() * 4 - 1];
    (void)last;
  } catch (const reel::Error&) {
  }
  return 0;
}
