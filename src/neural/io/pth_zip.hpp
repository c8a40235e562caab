#pragma once
// The zip container of a PyTorch checkpoint: the central directory (ZIP64 included)
// read and checked against the file, for stored (uncompressed) entries only, which is
// all torch.save writes. Private to neural_io.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace reel::neural::pth {

struct ZipEntry {
  std::string name;
  std::uint64_t header_offset = 0;  // the local file header
  std::uint64_t data_offset = 0;    // the first byte of the stored data
  std::uint64_t size = 0;           // bytes stored in the file
  std::uint32_t crc = 0;
  std::uint16_t method = 0;  // 0 = stored; callers refuse anything else
  bool encrypted = false;
};

// Every entry, in directory order, each one's data inside the file, no two overlapping,
// names unique. Compressed and encrypted entries are listed (so the caller can say what
// the archive is) but their bytes are opaque. Throws ModelLoad (Unsupported for
// multi-disk archives) prefixed with `what`.
std::vector<ZipEntry> read_zip_directory(std::span<const std::uint8_t> file,
                                         const std::string& what);

std::uint32_t crc32(std::span<const std::uint8_t> bytes);

}  // namespace reel::neural::pth
