#pragma once
// Files appear whole or not at all: data goes to a temporary file beside the
// target, is fsynced, then renamed over it. A destroyed AtomicFile that was never
// committed removes its temporary, so a failed or cancelled run leaves nothing.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace reel {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Path of the temporary file, for writers that need a filename (e.g. FFmpeg).
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }

  void write(const void* data, std::size_t size);
  void write(std::string_view s) { write(s.data(), s.size()); }
  // Closes our descriptor (if any), fsyncs the temporary, renames it onto the
  // target and fsyncs the directory.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> data);
void write_file_atomic(const std::filesystem::path& path, std::string_view data);

// Reads a whole file; throws NotFound / Io. Refuses files larger than max_bytes
// with InvalidInput, so a hostile path cannot make us allocate without bound.
std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes = 1ull << 32);

}  // namespace reel
