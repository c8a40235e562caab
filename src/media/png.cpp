#include "reel/media/png.hpp"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <string>

#include "media/decode_limits.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"

namespace reel::media {
namespace {

constexpr std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

[[noreturn]] void refuse(const std::string& what, const std::string& why) {
  throw Error(ErrorKind::InvalidInput, "cannot decode " + what + " as PNG: " + why);
}

// The IHDR's fields as declared, before any check of their range.
ImageSize declared(std::span<const std::uint8_t> bytes, const std::string& what) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0)
    refuse(what, "missing PNG signature");
  if (bytes.size() < 8 + 8 + 13) refuse(what, "truncated before the end of the IHDR chunk");
  const std::uint8_t* chunk = bytes.data() + 8;
  if (read_be32(chunk) != 13 || std::memcmp(chunk + 4, "IHDR", 4) != 0)
    refuse(what, "the first chunk is not a 13-byte IHDR");
  // Clamped into int: a side past 2^31 is refused by every caller's range check anyway.
  auto side = [](std::uint32_t v) {
    return static_cast<int>(std::min<std::uint32_t>(v, 1u << 30));
  };
  return {side(read_be32(chunk + 8)), side(read_be32(chunk + 12))};
}

// Reads the IHDR ourselves so that the size is refused before libpng allocates anything
// for the image (libpng's own limit is 1,000,000 per side, far past ours).
void check_header(std::span<const std::uint8_t> bytes, const std::string& what) {
  const ImageSize size = declared(bytes, what);
  if (bytes.size() < 8 + 8 + 13 + 4) refuse(what, "truncated before the end of the IHDR chunk");
  const std::uint8_t* chunk = bytes.data() + 8;
  const std::uint32_t width = static_cast<std::uint32_t>(size.width);
  const std::uint32_t height = static_cast<std::uint32_t>(size.height);
  if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide)
    refuse(what, "size " + std::to_string(width) + "x" + std::to_string(height) +
                     " is out of range; width and height must be 1.." +
                     std::to_string(kMaxImageSide));
  const std::uint64_t pixels = std::uint64_t{width} * height;
  if (pixels > kMaxDecodePixels)
    refuse(what, "size " + std::to_string(width) + "x" + std::to_string(height) + " has " +
                     std::to_string(pixels) + " pixels; at most " +
                     std::to_string(kMaxDecodePixels) + " are decoded");
  // Deflate cannot expand data more than ~1032:1, so a file far smaller than its
  // rows (one filter byte + at least one byte per pixel at 8 bits) is truncated or
  // lying; refusing it here keeps a 60-byte file from costing a 1 GiB allocation.
  // libpng stops at the last image row, so a file cut inside its final chunks would
  // otherwise pass as whole.
  static constexpr std::uint8_t kIend[8] = {'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  if (std::search(bytes.begin(), bytes.end(), kIend, kIend + 8) == bytes.end())
    refuse(what, "truncated: no IEND chunk at the end of the file");
  const int bit_depth = chunk[16];
  const std::uint64_t min_raw =
      std::uint64_t{height} * (1 + (std::uint64_t{width} * bit_depth + 7) / 8);
  if (std::uint64_t{bytes.size()} * 1032 + 4096 < min_raw)
    refuse(what, "the file is " + std::to_string(bytes.size()) + " bytes, too small to hold a " +
                     std::to_string(width) + "x" + std::to_string(height) +
                     " image (truncated or corrupt)");
}

// libpng reports errors through these; the message is kept for our exception and
// nothing is printed to stderr.
struct PngMessages {
  char error[256] = {};
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* messages = static_cast<PngMessages*>(png_get_error_ptr(png));
  if (messages) std::snprintf(messages->error, sizeof(messages->error), "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

struct WriteSink {
  std::vector<std::uint8_t>* out;
  bool failed = false;
};

void write_to_vector(png_structp png, png_bytep data, png_size_t size) {
  auto* sink = static_cast<WriteSink*>(png_get_io_ptr(png));
  try {
    sink->out->insert(sink->out->end(), data, data + size);
  } catch (...) {
    sink->failed = true;
  }
  // png_error longjmps; doing it outside the catch block keeps the C++ runtime's
  // exception state consistent.
  if (sink->failed) png_error(png, "out of memory while encoding");
}

void flush_nothing(png_structp) {}

// Holds only trivially destructible locals, so longjmp out of libpng back to the
// setjmp here skips no destructor.
bool write_rows(png_structp png, png_infop info, WriteSink* sink, png_bytepp rows, int width,
                int height, int level) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, sink, write_to_vector, flush_nothing);
  png_set_compression_level(png, level);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

}  // namespace

ImageSize png_size(std::span<const std::uint8_t> bytes, const std::string& what) {
  return declared(bytes, what);
}

Image decode_png(std::span<const std::uint8_t> bytes, const std::string& what) {
  check_header(bytes, what);

  // The simplified API converts every colour type and bit depth to RGBA8 and keeps
  // its setjmp inside libpng, so no longjmp ever crosses our frames.
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    refuse(what, image.message);
  struct Guard {
    png_image* image;
    ~Guard() { png_image_free(image); }
  } guard{&image};

  // A 16-bit file without gAMA/sRGB would otherwise be taken as linear light and
  // brightened on the way to 8 bits.
  image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  image.format = PNG_FORMAT_RGBA;
  if (image.width > static_cast<png_uint_32>(kMaxImageSide) ||
      image.height > static_cast<png_uint_32>(kMaxImageSide))
    refuse(what, "size out of range");  // already refused by check_header; kept as a guard

  Image out(static_cast<int>(image.width), static_cast<int>(image.height), PixelType::u8);
  if (!png_image_finish_read(&image, nullptr, out.u8(), 0, nullptr)) refuse(what, image.message);
  return out;
}

Image read_png(const std::filesystem::path& path) {
  std::string data = read_file(path, kMaxEncodedFileBytes);
  return decode_png(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
                    path.string());
}

std::vector<std::uint8_t> encode_png(const Image& image, const PngOptions& options) {
  if (image.empty())
    throw Error(ErrorKind::InvalidInput, "cannot encode an empty (0x0) image as PNG");
  if (options.compression_level < 0 || options.compression_level > 9)
    throw Error(ErrorKind::InvalidInput, "PNG compression level " +
                                             std::to_string(options.compression_level) +
                                             " is out of range; allowed 0..9");
  const Image u8 = image.type() == PixelType::u8 ? Image() : image.to_u8();
  const Image& src = image.type() == PixelType::u8 ? image : u8;

  std::vector<png_bytep> rows(static_cast<std::size_t>(src.height()));
  for (int y = 0; y < src.height(); ++y)
    rows[y] = const_cast<png_bytep>(src.u8_pixel(0, y));  // libpng only reads them

  std::vector<std::uint8_t> out;
  out.reserve(src.pixel_count() + 1024);
  PngMessages messages;
  WriteSink sink{&out};
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &messages, on_png_error, on_png_warning);
  if (!png) throw Error(ErrorKind::OutOfMemory, "cannot create a PNG encoder");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    throw Error(ErrorKind::OutOfMemory, "cannot create a PNG encoder");
  }
  const bool ok = write_rows(png, info, &sink, rows.data(), src.width(), src.height(),
                             options.compression_level);
  png_destroy_write_struct(&png, &info);
  if (!ok)
    throw Error(sink.failed ? ErrorKind::OutOfMemory : ErrorKind::Internal,
                std::string("PNG encoding failed: ") + messages.error);
  return out;
}

void write_png(const std::filesystem::path& path, const Image& image, const PngOptions& options) {
  std::vector<std::uint8_t> bytes = encode_png(image, options);
  write_file_atomic(path, bytes);
}

}  // namespace reel::media
