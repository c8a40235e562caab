#pragma once
// DIR/batch.jsonl: one JSON line per finished row, appended with one write(2) of the whole
// line and an fsync, so a killed batch leaves at most a missing line; a torn last line
// from an older crash (no newline, or not JSON) is ignored when the manifest is read.
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "reel/core/json.hpp"

namespace reel::batch {

struct ManifestEntry {
  std::string key;     // the row's output name (unique in a batch)
  int line = 0;        // the row's line in the rows file
  std::string status;  // "succeeded", "failed" or "invalid"
  std::string output;  // the output file, when succeeded
  double seconds = 0;  // wall time of the row
  double usd = 0;      // what the row cost (cache hits at $0)
  int executed = 0;    // steps computed for this row
  int cached = 0;      // steps taken from the store at $0
  std::string error;   // why it failed or was invalid
  Json to_json() const;
  static ManifestEntry from_json(const Json& j);
};

class Manifest {
 public:
  explicit Manifest(std::filesystem::path path);
  ~Manifest();
  Manifest(const Manifest&) = delete;
  Manifest& operator=(const Manifest&) = delete;

  // Every whole line already in the file (a torn or unreadable line is skipped).
  static std::vector<ManifestEntry> read(const std::filesystem::path& path);
  // Thread-safe; the line is on disk (fsynced) when this returns. Throws Io.
  void append(const ManifestEntry& e);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::mutex mutex_;
};

}  // namespace reel::batch
