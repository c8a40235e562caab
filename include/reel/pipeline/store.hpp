#pragma once
// The content-addressed artifact store. Layout under the root (default
// $REEL_HOME/store):
//   objects/<2 hex>/<30 hex>/meta.json   type, size, producing step, rig/light/notes
//                            image.png   stills (RGBA PNG)
//                            depth.f32   depth planes (raw little-endian float32)
//                            video.mp4   videos (H.264)
//   index.sqlite                           one row per artifact (size, step, times)
// Objects are written into a temporary folder and renamed into place, so a reader
// never sees a half-written artifact; the index is updated after the rename.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reel/media/mp4.hpp"
#include "reel/model/tasks.hpp"
#include "reel/pipeline/artifact.hpp"

namespace reel::pipeline {

struct StoreEntry {
  Hash128 key;
  model::ValueType type;
  std::string model;  // producing model id ("import" for user files)
  std::string step;
  std::uint64_t bytes = 0;
  double compute_seconds = 0;  // what it cost to make (for "saved" figures)
  double usd = 0;
  std::int64_t created_unix = 0;
  std::int64_t last_used_unix = 0;
};

struct GcResult {
  int removed = 0;
  std::uint64_t bytes_freed = 0;
};

class ArtifactStore final : public model::PendingCalls {
 public:
  explicit ArtifactStore(std::filesystem::path root);
  ~ArtifactStore();
  ArtifactStore(const ArtifactStore&) = delete;
  ArtifactStore& operator=(const ArtifactStore&) = delete;

  static std::filesystem::path default_root();  // $REEL_HOME/store
  const std::filesystem::path& root() const { return root_; }

  bool contains(const Hash128& key) const;
  // Loads an artifact (images fully; videos as frames decoded lazily: `video`
  // holds the decoded frames only when decode_video is true).
  std::optional<Artifact> get(const Hash128& key, bool decode_video = false) const;
  // The notes stored with an artifact, without decoding it (a cache hit nobody loads
  // still reports what its model said). Empty when the key is not stored.
  std::vector<std::string> notes_of(const Hash128& key) const;
  std::optional<StoreEntry> entry(const Hash128& key) const;

  // Take the result by value: callers move it in, so a 4K still or a clip's frames are
  // not copied on the way into the returned artifact.
  Artifact put_image(const Hash128& key, model::ImageResult image, const StoreEntry& info);
  // A cancelled `cancel` stops the encoding and stores nothing (Error Cancelled).
  Artifact put_video(const Hash128& key, model::VideoResult video, const StoreEntry& info,
                     const media::Mp4Options& encode, const CancelToken& cancel = CancelToken());

  // A user-supplied still, keyed by its content.
  Artifact import_image(const model::ImageResult& image);

  // Records what making an artifact cost (for the "saved" figure of cache hits).
  void set_cost(const Hash128& key, double compute_seconds, double usd);

  // model::PendingCalls: provider calls in flight, by step cache key (pending_calls).
  std::optional<Json> find_pending(const std::string& call_key) const override;
  void put_pending(const std::string& call_key, const Json& record) override;
  void remove_pending(const std::string& call_key) override;

  std::vector<StoreEntry> list() const;
  // Removes least-recently-used artifacts until the store is at most max_bytes.
  GcResult gc(std::uint64_t max_bytes);
  GcResult clear();

 private:
  std::filesystem::path object_dir(const Hash128& key) const;
  void index_put(const StoreEntry& e);
  // Indexes a just-published object and returns the artifact's common fields.
  Artifact index_new(const Hash128& key, model::ValueType type, const StoreEntry& info,
                     const std::filesystem::path& file);
  void touch(const Hash128& key) const;

  std::filesystem::path root_;
  struct Index;
  std::unique_ptr<Index> index_;
};

}  // namespace reel::pipeline
