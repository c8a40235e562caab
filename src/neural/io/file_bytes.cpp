#include "reel/neural/file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "reel/core/error.hpp"

namespace reel::neural {

FileBytes FileBytes::map(const std::filesystem::path& path, std::string_view readable_kind,
                         std::string_view kind) {
  auto fail = [&](const std::string& message) {
    throw Error(ErrorKind::ModelLoad, path.string() + ": " + message);
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(std::string("cannot open: ") + std::strerror(errno) + "; expected " +
         std::string(readable_kind));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("is not a regular file; expected " + std::string(kind));
  }
  FileBytes file;
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return file;
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail(std::string("cannot map: ") + std::strerror(errno));
  file.map_ = map;
  file.map_size_ = size;
  file.bytes_ = std::span(static_cast<const std::uint8_t*>(map), size);
  return file;
}

FileBytes FileBytes::copy_of(std::span<const std::uint8_t> bytes) {
  FileBytes file;
  file.copy_.assign(bytes.begin(), bytes.end());
  file.bytes_ = file.copy_;
  return file;
}

FileBytes::FileBytes(FileBytes&& other) noexcept {
  *this = std::move(other);
}

FileBytes& FileBytes::operator=(FileBytes&& other) noexcept {
  if (this == &other) return *this;
  release();
  map_ = std::exchange(other.map_, nullptr);
  map_size_ = std::exchange(other.map_size_, 0);
  copy_ = std::move(other.copy_);  // moves the buffer, so bytes_ stays valid
  bytes_ = std::exchange(other.bytes_, {});
  other.copy_.clear();
  return *this;
}

FileBytes::~FileBytes() {
  release();
}

void FileBytes::release() noexcept {
  if (map_ != nullptr) ::munmap(map_, map_size_);
  map_ = nullptr;
  map_size_ = 0;
  bytes_ = {};
}

}  // namespace reel::neural
