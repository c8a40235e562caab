#pragma once
// The bytes of a checkpoint file as the readers see them: the file mapped read-only, or
// a private copy of bytes handed in (fuzzing, tests). Shared by SafetensorsFile and
// PthFile so each is movable without hand-written mmap bookkeeping.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace reel::neural {

class FileBytes {
 public:
  FileBytes() = default;
  // Maps a regular file read-only (an empty file gives empty bytes, not a mapping).
  // Throws ModelLoad "<path>: cannot open: <errno text>; expected <readable_kind>",
  // "<path>: is not a regular file; expected <kind>" or "<path>: cannot map: ...".
  static FileBytes map(const std::filesystem::path& path, std::string_view readable_kind,
                       std::string_view kind);
  static FileBytes copy_of(std::span<const std::uint8_t> bytes);

  FileBytes(FileBytes&& other) noexcept;
  FileBytes& operator=(FileBytes&& other) noexcept;
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  ~FileBytes();

  std::span<const std::uint8_t> bytes() const { return bytes_; }

 private:
  void release() noexcept;

  void* map_ = nullptr;  // mmap'd file, or null when the bytes live in copy_
  std::size_t map_size_ = 0;
  std::vector<std::uint8_t> copy_;
  std::span<const std::uint8_t> bytes_;
};

}  // namespace reel::neural
