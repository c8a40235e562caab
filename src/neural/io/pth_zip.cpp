#include "neural/io/pth_zip.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <set>
#include <string_view>

#include "reel/core/error.hpp"

namespace reel::neural::pth {

namespace {

constexpr std::uint32_t kLocalHeaderSig = 0x04034b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kCentralSize = 46;
constexpr std::size_t kLocalSize = 30;
// A checkpoint holds one record per storage plus a few; far more is hostile.
constexpr std::uint64_t kMaxEntries = 1u << 20;

[[noreturn]] void fail(const std::string& what, const std::string& message,
                       ErrorKind kind = ErrorKind::ModelLoad) {
  throw Error(kind, what + ": " + message);
}

std::uint64_t le(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Bytes [offset, offset + n) of the file, or a failure naming `field`.
const std::uint8_t* at(std::span<const std::uint8_t> file, std::uint64_t offset, std::uint64_t n,
                       const std::string& what, const std::string& field) {
  if (offset > file.size() || n > file.size() - offset) {
    fail(what, field + " at byte " + std::to_string(offset) + " (" + std::to_string(n) +
                   " bytes) is past the end of the " + std::to_string(file.size()) +
                   "-byte file; the file is truncated or corrupt");
  }
  return file.data() + offset;
}

struct Directory {
  std::uint64_t entries = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t end = 0;  // where the directory must stop (the next end record)
};

Directory find_directory(std::span<const std::uint8_t> file, const std::string& what) {
  if (file.size() < kEndSize) {
    fail(what, "is " + std::to_string(file.size()) +
                   " bytes; a PyTorch zip checkpoint ends with a 22-byte zip end record");
  }
  // The end record sits at the very end, followed only by its comment (< 64 KiB).
  const std::uint64_t last = file.size() - kEndSize;
  const std::uint64_t first = last > 0xFFFF ? last - 0xFFFF : 0;
  std::uint64_t pos = last + 1;
  for (std::uint64_t p = last + 1; p-- > first;) {
    const std::uint8_t* e = file.data() + p;
    if (le(e, 4) == kEndSig && le(e + 20, 2) == file.size() - p - kEndSize) {
      pos = p;
      break;
    }
  }
  if (pos > last) {
    if (file.size() >= 2 && file[0] == 0x80) {
      fail(what,
           "is a legacy (pre-1.6) torch.save pickle, not a zip checkpoint; re-save it with "
           "torch.save from PyTorch 1.6 or newer",
           ErrorKind::Unsupported);
    }
    fail(what, "has no zip end record; expected a PyTorch zip checkpoint (torch.save since 1.6)");
  }
  const std::uint8_t* e = file.data() + pos;
  const std::uint64_t disk = le(e + 4, 2), dir_disk = le(e + 6, 2);
  const std::uint64_t disk_entries = le(e + 8, 2);
  Directory dir{le(e + 10, 2), le(e + 16, 4), le(e + 12, 4), pos};
  if (disk != 0 || dir_disk != 0 || disk_entries != dir.entries) {
    fail(what, "is a multi-disk (split) zip archive; only single-file archives are supported",
         ErrorKind::Unsupported);
  }
  const bool has_locator =
      pos >= kZip64LocatorSize && le(file.data() + pos - kZip64LocatorSize, 4) == kZip64LocatorSig;
  const bool needs_zip64 =
      dir.entries == 0xFFFF || dir.size == 0xFFFFFFFF || dir.offset == 0xFFFFFFFF;
  if (has_locator) {
    const std::uint8_t* loc = file.data() + pos - kZip64LocatorSize;
    const std::uint64_t end64 = le(loc + 8, 8);
    if (le(loc + 4, 4) != 0 || le(loc + 16, 4) > 1) {
      fail(what, "is a multi-disk ZIP64 archive; only single-file archives are supported",
           ErrorKind::Unsupported);
    }
    if (end64 > pos - kZip64LocatorSize || pos - kZip64LocatorSize - end64 < kZip64EndSize) {
      fail(what, "ZIP64 end record offset " + std::to_string(end64) +
                     " does not leave room for the record before its locator");
    }
    const std::uint8_t* z = file.data() + end64;
    if (le(z, 4) != kZip64EndSig) {
      fail(what, "has no ZIP64 end record at byte " + std::to_string(end64) +
                     ", where its locator points");
    }
    if (le(z + 16, 4) != 0 || le(z + 20, 4) != 0 || le(z + 24, 8) != le(z + 32, 8)) {
      fail(what, "is a multi-disk ZIP64 archive; only single-file archives are supported",
           ErrorKind::Unsupported);
    }
    dir.entries = le(z + 32, 8);
    dir.size = le(z + 40, 8);
    dir.offset = le(z + 48, 8);
    dir.end = end64;
  } else if (needs_zip64) {
    fail(what, "end record defers to a ZIP64 record, but there is no ZIP64 locator before it");
  }
  if (dir.entries > kMaxEntries) {
    fail(what, "directory claims " + std::to_string(dir.entries) + " entries; the limit is " +
                   std::to_string(kMaxEntries));
  }
  if (dir.offset > dir.end || dir.size != dir.end - dir.offset) {
    fail(what, "central directory [" + std::to_string(dir.offset) + ", +" +
                   std::to_string(dir.size) + ") does not end where the end record starts (byte " +
                   std::to_string(dir.end) + ")");
  }
  if (dir.entries > dir.size / kCentralSize) {
    fail(what, "directory claims " + std::to_string(dir.entries) + " entries in " +
                   std::to_string(dir.size) + " bytes; each takes at least 46");
  }
  return dir;
}

// Applies the ZIP64 extended-information extra field (id 1): it carries, in this order,
// each of the 32-bit fields that were set to all ones.
void apply_extra(const std::uint8_t* extra, std::uint64_t length, std::uint64_t& size,
                 std::uint64_t& compressed, std::uint64_t& header_offset, const std::string& what,
                 const std::string& where) {
  std::uint64_t p = 0;
  while (p < length) {
    if (length - p < 4) fail(what, where + " has a truncated extra field");
    const std::uint64_t id = le(extra + p, 2), n = le(extra + p + 2, 2);
    p += 4;
    if (n > length - p) fail(what, where + " extra field runs past its end");
    if (id == 1) {
      std::uint64_t q = 0;
      for (std::uint64_t* field : {&size, &compressed, &header_offset}) {
        if (*field != 0xFFFFFFFF) continue;
        if (n - q < 8) fail(what, where + " ZIP64 extra field is too short for its sizes");
        *field = le(extra + p + q, 8);
        q += 8;
      }
    }
    p += n;
  }
}

}  // namespace

std::vector<ZipEntry> read_zip_directory(std::span<const std::uint8_t> file,
                                         const std::string& what) {
  const Directory dir = find_directory(file, what);
  std::vector<ZipEntry> entries;
  entries.reserve(dir.entries);
  std::set<std::string, std::less<>> names;
  std::uint64_t p = dir.offset;
  for (std::uint64_t i = 0; i < dir.entries; ++i) {
    const std::string where = "zip entry " + std::to_string(i);
    if (dir.end - p < kCentralSize) fail(what, where + " runs past the central directory");
    const std::uint8_t* c = file.data() + p;
    if (le(c, 4) != kCentralSig) {
      fail(what, where + " at byte " + std::to_string(p) + " has no central directory signature");
    }
    const std::uint64_t flags = le(c + 8, 2), method = le(c + 10, 2);
    const std::uint64_t name_len = le(c + 28, 2), extra_len = le(c + 30, 2);
    const std::uint64_t comment_len = le(c + 32, 2), disk = le(c + 34, 2);
    std::uint64_t compressed = le(c + 20, 4), size = le(c + 24, 4), header = le(c + 42, 4);
    if (dir.end - p - kCentralSize < name_len + extra_len + comment_len) {
      fail(what, where + " name and fields run past the central directory");
    }
    ZipEntry entry;
    entry.name.assign(reinterpret_cast<const char*>(c + kCentralSize), name_len);
    entry.crc = static_cast<std::uint32_t>(le(c + 16, 4));
    const std::string named = "zip entry \"" + entry.name + "\"";
    apply_extra(c + kCentralSize + name_len, extra_len, size, compressed, header, what, named);
    p += kCentralSize + name_len + extra_len + comment_len;

    if (entry.name.empty() || entry.name.find('\0') != std::string::npos) {
      fail(what, where + " has an empty name or one with a NUL byte");
    }
    if (disk != 0) fail(what, named + " is on another disk", ErrorKind::Unsupported);
    entry.method = static_cast<std::uint16_t>(method);
    entry.encrypted = (flags & 0x41) != 0;
    if (method == 0 && compressed != size) {
      fail(what, named + " is stored but its compressed size " + std::to_string(compressed) +
                     " differs from its size " + std::to_string(size));
    }
    if (!names.insert(entry.name).second) {
      fail(what, named + " appears twice in the directory; names must be unique");
    }
    const std::uint8_t* local = at(file, header, kLocalSize, what, named + " local header");
    if (le(local, 4) != kLocalHeaderSig) {
      fail(what, named + " local header at byte " + std::to_string(header) +
                     " has no local header signature");
    }
    const std::uint64_t local_name = le(local + 26, 2), local_extra = le(local + 28, 2);
    const std::uint8_t* lname = at(file, header + kLocalSize, local_name, what, named + " name");
    if (std::string_view(reinterpret_cast<const char*>(lname), local_name) != entry.name) {
      fail(what, named + " local header names a different file; the archive is inconsistent");
    }
    entry.header_offset = header;
    entry.data_offset = header + kLocalSize + local_name + local_extra;
    entry.size = compressed;
    // Records live before the central directory.
    if (entry.data_offset > dir.offset || size > dir.offset - entry.data_offset) {
      fail(what, named + " data [" + std::to_string(entry.data_offset) + ", +" +
                     std::to_string(size) + ") runs into the central directory at byte " +
                     std::to_string(dir.offset));
    }
    entries.push_back(std::move(entry));
  }
  if (p != dir.end) {
    fail(what, "central directory has " + std::to_string(dir.end - p) +
                   " bytes after its last entry; its entry count is wrong");
  }
  std::vector<const ZipEntry*> by_offset;
  for (const auto& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const ZipEntry* a, const ZipEntry* b) {
    return a->header_offset < b->header_offset;
  });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->header_offset < by_offset[i - 1]->data_offset + by_offset[i - 1]->size) {
      fail(what, "zip entries \"" + by_offset[i - 1]->name + "\" and \"" + by_offset[i]->name +
                     "\" overlap; each record needs its own bytes");
    }
  }
  return entries;
}

// Slicing-by-8 (eight bytes per step through eight tables): ~5x the bytewise loop, which
// matters when verify_checksums reads an 11 GB checkpoint.
std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  static_assert(std::endian::native == std::endian::little, "the 8-byte step reads little-endian");
  static const auto tables = [] {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
      for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    word ^= c;
    c = tables[7][word & 0xFF] ^ tables[6][(word >> 8) & 0xFF] ^ tables[5][(word >> 16) & 0xFF] ^
        tables[4][(word >> 24) & 0xFF] ^ tables[3][(word >> 32) & 0xFF] ^
        tables[2][(word >> 40) & 0xFF] ^ tables[1][(word >> 48) & 0xFF] ^ tables[0][word >> 56];
  }
  for (; n > 0; --n, ++p) c = tables[0][(c ^ *p) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace reel::neural::pth
