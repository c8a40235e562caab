#include "reel/media/jpeg.hpp"

#include <turbojpeg.h>

#include <cstring>
#include <fstream>

#include "media/decode_limits.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/media/png.hpp"

namespace reel::media {
namespace {

[[noreturn]] void refuse(const std::string& what, const std::string& why) {
  throw Error(ErrorKind::InvalidInput, "cannot decode " + what + " as JPEG: " + why);
}

struct Decompressor {
  tjhandle handle = tjInitDecompress();
  ~Decompressor() {
    if (handle) tjDestroy(handle);
  }
};

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& what) {
  if (bytes.size() < 3 || bytes[0] != 0xFF || bytes[1] != 0xD8 || bytes[2] != 0xFF)
    refuse(what, "missing JPEG start-of-image marker");
  Decompressor d;
  if (!d.handle) throw Error(ErrorKind::OutOfMemory, "cannot create a JPEG decoder");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  // The header call reads only markers up to SOF, so the size is known before any
  // pixel buffer exists.
  if (tjDecompressHeader3(d.handle, bytes.data(), static_cast<unsigned long>(bytes.size()), &width,
                          &height, &subsampling, &colorspace) != 0)
    refuse(what, tjGetErrorStr2(d.handle));
  if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide)
    refuse(what, "size " + std::to_string(width) + "x" + std::to_string(height) +
                     " is out of range; width and height must be 1.." +
                     std::to_string(kMaxImageSide));
  if (static_cast<std::uint64_t>(width) * height > kMaxDecodePixels)
    refuse(what, "size " + std::to_string(width) + "x" + std::to_string(height) +
                     " exceeds the budget of " + std::to_string(kMaxDecodePixels) + " pixels");

  Image out(width, height, PixelType::u8);
  // LIMITSCANS refuses progressive files with absurd scan counts (a known CPU-burning
  // attack); warnings such as stray bytes after EOI still decode, as every viewer does.
  const int flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS;
  if (tjDecompress2(d.handle, bytes.data(), static_cast<unsigned long>(bytes.size()), out.u8(),
                    width, 0, height, TJPF_RGBA, flags) != 0 &&
      tjGetErrorCode(d.handle) != TJERR_WARNING)
    refuse(what, tjGetErrorStr2(d.handle));
  return out;
}

Image read_jpeg(const std::filesystem::path& path) {
  std::string data = read_file(path, kMaxEncodedFileBytes);
  return decode_jpeg(as_bytes(data), path.string());
}

Image read_image(const std::filesystem::path& path) {
  std::string data = read_file(path, kMaxEncodedFileBytes);
  auto bytes = as_bytes(data);
  static constexpr std::uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0)
    return decode_png(bytes, path.string());
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
    return decode_jpeg(bytes, path.string());
  throw Error(ErrorKind::InvalidInput,
              path.string() + " is not an image reel can read; accepted formats: PNG, JPEG");
}

}  // namespace reel::media
