#include "reel/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "reel/core/error.hpp"

namespace reel {
namespace fs = std::filesystem;
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

std::string unique_suffix() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t process_salt = std::random_device{}();
  return ".tmp." + std::to_string(::getpid()) + "." + std::to_string(process_salt % 100000) + "." +
         std::to_string(counter.fetch_add(1));
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

AtomicFile::AtomicFile(fs::path target) : target_(std::move(target)) {
  fs::path dir = target_.parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
      throw Error(ErrorKind::Io, "cannot create directory " + dir.string() + ": " + ec.message());
  }
  // A leading dot keeps half-written files out of globs and directory listings.
  temp_ =
      (dir.empty() ? fs::path(".") : dir) / ("." + target_.filename().string() + unique_suffix());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicFile::write(const void* data, std::size_t size) {
  if (fd_ < 0) {
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw Error(ErrorKind::Io, "cannot create " + temp_.string() + ": " + errno_text());
  }
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::Io, "cannot write " + target_.string() + ": " + errno_text());
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (committed_) return;
  if (fd_ < 0) {
    // Written by someone else (e.g. FFmpeg) or empty: open to fsync / create.
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(ErrorKind::Io, "cannot open " + temp_.string() + ": " + errno_text());
  }
  if (::fsync(fd_) != 0)
    throw Error(ErrorKind::Io, "cannot fsync " + target_.string() + ": " + errno_text());
  ::close(fd_);
  fd_ = -1;
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    throw Error(ErrorKind::Io, "cannot rename onto " + target_.string() + ": " + errno_text());
  committed_ = true;
  fsync_dir(target_.parent_path());
}

void write_file_atomic(const fs::path& path, std::span<const std::uint8_t> data) {
  AtomicFile f(path);
  f.write(data.data(), data.size());
  f.commit();
}

void write_file_atomic(const fs::path& path, std::string_view data) {
  AtomicFile f(path);
  f.write(data);
  f.commit();
}

std::string read_file(const fs::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error(ErrorKind::NotFound, "no such file: " + path.string());
  if (fs::is_directory(status))
    throw Error(ErrorKind::InvalidInput, path.string() + " is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, "cannot open " + path.string() + ": " + errno_text());
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::uint64_t>(in.tellg());
  if (size > max_bytes)
    throw Error(ErrorKind::InvalidInput, path.string() + " is " + std::to_string(size) +
                                             " bytes; at most " + std::to_string(max_bytes) +
                                             " are allowed here");
  in.seekg(0);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size)))
    throw Error(ErrorKind::Io, "cannot read " + path.string());
  return data;
}

}  // namespace reel
