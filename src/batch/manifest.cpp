#include "reel/batch/manifest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "reel/core/error.hpp"

namespace reel::batch {
namespace fs = std::filesystem;

Json ManifestEntry::to_json() const {
  Json j{{"key", key},           {"line", line},       {"status", status},
         {"output", output},     {"seconds", seconds}, {"usd", usd},
         {"executed", executed}, {"cached", cached},   {"error", error}};
  return j;
}

ManifestEntry ManifestEntry::from_json(const Json& j) {
  ManifestEntry e;
  e.key = j.value("key", "");
  e.line = j.value("line", 0);
  e.status = j.value("status", "");
  e.output = j.value("output", "");
  e.seconds = j.value("seconds", 0.0);
  e.usd = j.value("usd", 0.0);
  e.executed = j.value("executed", 0);
  e.cached = j.value("cached", 0);
  e.error = j.value("error", "");
  return e;
}

Manifest::Manifest(fs::path path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error(ErrorKind::Io,
                path_.string() + ": cannot open the manifest: " + std::strerror(errno));
  // A torn last line from a killed run has no newline: end it, so the next line starts
  // fresh and the torn one stays unreadable (skipped) instead of swallowing the next.
  std::error_code ec;
  auto size = fs::file_size(path_, ec);
  if (!ec && size > 0) {
    std::ifstream in(path_, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(size - 1));
    char last = 0;
    in.get(last);
    if (last != '\n' && ::write(fd_, "\n", 1) != 1)
      throw Error(ErrorKind::Io, path_.string() + ": cannot write the manifest");
  }
}

Manifest::~Manifest() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<ManifestEntry> Manifest::read(const fs::path& path) {
  std::vector<ManifestEntry> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline after it: a torn write
    try {
      Json j = Json::parse(line);
      if (j.is_object() && j.contains("key") && j.contains("status"))
        out.push_back(ManifestEntry::from_json(j));
    } catch (const std::exception&) {
      // A line torn by an older crash, newline added on reopen: not a finished row.
    }
  }
  return out;
}

void Manifest::append(const ManifestEntry& e) {
  const std::string line = e.to_json().dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mutex_);
  // O_APPEND and one write: the line lands whole at the end (a local file system
  // writes a regular file's single write completely unless the disk is full).
  ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    throw Error(ErrorKind::Io, path_.string() + ": cannot append to the manifest: " +
                                   (n < 0 ? std::strerror(errno) : "short write (disk full?)"));
  if (::fsync(fd_) != 0)
    throw Error(ErrorKind::Io, path_.string() + ": fsync failed: " + std::strerror(errno));
}

}  // namespace reel::batch
