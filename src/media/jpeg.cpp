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

// The start-of-frame marker's type (0xC0..0xCF minus DHT/JPG/DAC), or -1 if none is
// found before the first scan.
int frame_marker(std::span<const std::uint8_t> bytes) {
  std::size_t pos = 2;
  while (pos + 4 <= bytes.size()) {
    if (bytes[pos] != 0xFF) return -1;
    const std::uint8_t marker = bytes[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xDA) return -1;  // start of scan: no SOF before it
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
      return marker;
    pos += 2 + ((std::size_t{bytes[pos + 2]} << 8) | bytes[pos + 3]);
  }
  return -1;
}

// The header call reads only markers up to SOF, so the size is known before any pixel
// buffer exists.
ImageSize read_header(Decompressor& d, std::span<const std::uint8_t> bytes,
                      const std::string& what) {
  if (bytes.size() < 3 || bytes[0] != 0xFF || bytes[1] != 0xD8 || bytes[2] != 0xFF)
    refuse(what, "missing JPEG start-of-image marker");
  if (!d.handle) throw Error(ErrorKind::OutOfMemory, "cannot create a JPEG decoder");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(d.handle, bytes.data(), static_cast<unsigned long>(bytes.size()), &width,
                          &height, &subsampling, &colorspace) != 0)
    refuse(what, tjGetErrorStr2(d.handle));
  return {width, height};
}

}  // namespace

ImageSize jpeg_size(std::span<const std::uint8_t> bytes, const std::string& what) {
  Decompressor d;
  return read_header(d, bytes, what);
}

Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& what) {
  Decompressor d;
  const auto [width, height] = read_header(d, bytes, what);
  if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide)
    refuse(what, "size " + std::to_string(width) + "x" + std::to_string(height) +
                     " is out of range; width and height must be 1.." +
                     std::to_string(kMaxImageSide));
  if (static_cast<std::uint64_t>(width) * height > kMaxDecodePixels)
    refuse(what, "size " + std::to_string(width) + "x" + std::to_string(height) +
                     " exceeds the budget of " + std::to_string(kMaxDecodePixels) + " pixels");

  // Sequential Huffman coding spends at least one bit on every 8x8 luma block (its DC
  // symbol), so a file too small for that many blocks is truncated or lying: refused
  // before the pixel buffer exists. (Progressive and arithmetic coding can go below one
  // bit per block; for them the pixel budget above is the bound.)
  const int sof = frame_marker(bytes);
  const std::uint64_t blocks = std::uint64_t((width + 7) / 8) * std::uint64_t((height + 7) / 8);
  if ((sof == 0xC0 || sof == 0xC1) && std::uint64_t{bytes.size()} * 8 < blocks)
    refuse(what, "the file is " + std::to_string(bytes.size()) + " bytes, too small to hold a " +
                     std::to_string(width) + "x" + std::to_string(height) +
                     " image (truncated or corrupt)");

  Image out(width, height, PixelType::u8);
  // LIMITSCANS refuses progressive files with absurd scan counts (a known CPU-burning
  // attack). Warnings such as stray bytes between markers still decode, as in every
  // viewer, but a file that ends early is refused rather than returned half grey.
  const int flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS;
  if (tjDecompress2(d.handle, bytes.data(), static_cast<unsigned long>(bytes.size()), out.u8(),
                    width, 0, height, TJPF_RGBA, flags) != 0) {
    const std::string message = tjGetErrorStr2(d.handle);
    if (tjGetErrorCode(d.handle) != TJERR_WARNING ||
        message.find("Premature end") != std::string::npos)
      refuse(what, message);
  }
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
