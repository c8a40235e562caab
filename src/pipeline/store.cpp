#include "reel/pipeline/store.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/core/paths.hpp"
#include "reel/media/png.hpp"

namespace reel::pipeline {
namespace fs = std::filesystem;
namespace {

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t folder_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

// Stills are stored as PNG at zlib level 1: ~5x faster to write than the default
// for files ~10% larger, and the PNG doubles as the C2PA ingredient.
constexpr media::PngOptions kStorePng{1};

void write_depth(const fs::path& path, const media::Plane& depth) {
  AtomicFile f(path);
  const std::int32_t dims[2] = {depth.width(), depth.height()};
  f.write(dims, sizeof dims);
  f.write(depth.data(), sizeof(float) * depth.width() * depth.height());
  f.commit();
}

media::Plane read_depth(const fs::path& path) {
  std::string bytes = read_file(path);
  std::int32_t dims[2];
  if (bytes.size() < sizeof dims) throw Error(ErrorKind::Io, "corrupt depth file " + path.string());
  std::memcpy(dims, bytes.data(), sizeof dims);
  media::Plane p(dims[0], dims[1]);
  std::size_t need = sizeof dims + sizeof(float) * p.width() * p.height();
  if (bytes.size() != need) throw Error(ErrorKind::Io, "corrupt depth file " + path.string());
  std::memcpy(p.data(), bytes.data() + sizeof dims, need - sizeof dims);
  return p;
}

Json entry_json(const StoreEntry& e) {
  return Json{{"key", e.key.hex()},
              {"type", std::string(model::to_string(e.type))},
              {"model", e.model},
              {"step", e.step},
              {"compute_seconds", e.compute_seconds},
              {"usd", e.usd},
              {"created_unix", e.created_unix}};
}

}  // namespace

// The index is SQLite so several processes (CLI runs, a server, workers) can share
// one store safely; WAL lets readers proceed while one process writes.
struct ArtifactStore::Index {
  sqlite3* db = nullptr;
  std::mutex mutex;

  explicit Index(const fs::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      throw Error(ErrorKind::Io, "cannot open store index " + file.string() + ": " + msg);
    }
    sqlite3_busy_timeout(db, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec(
        "CREATE TABLE IF NOT EXISTS artifacts (key TEXT PRIMARY KEY, type TEXT NOT NULL, "
        "model TEXT, step TEXT, bytes INTEGER, compute_seconds REAL, usd REAL, "
        "created INTEGER, last_used INTEGER)");
    // Paid calls in flight (model::PendingCalls): written before a model waits on a
    // provider, so a killed run's next attempt resumes instead of paying again.
    exec(
        "CREATE TABLE IF NOT EXISTS pending_calls (key TEXT PRIMARY KEY, record TEXT NOT NULL, "
        "created INTEGER)");
  }
  ~Index() { sqlite3_close(db); }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      throw Error(ErrorKind::Io, std::string("store index: ") + msg);
    }
  }

  // RAII statement.
  struct Stmt {
    sqlite3_stmt* s = nullptr;
    Stmt(sqlite3* db, const char* sql) {
      if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
        throw Error(ErrorKind::Io, std::string("store index: ") + sqlite3_errmsg(db));
    }
    ~Stmt() { sqlite3_finalize(s); }
    Stmt& text(int i, const std::string& v) {
      sqlite3_bind_text(s, i, v.c_str(), -1, SQLITE_TRANSIENT);
      return *this;
    }
    Stmt& i64(int i, std::int64_t v) {
      sqlite3_bind_int64(s, i, v);
      return *this;
    }
    Stmt& real(int i, double v) {
      sqlite3_bind_double(s, i, v);
      return *this;
    }
    bool step() {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      throw Error(ErrorKind::Io, std::string("store index: ") + sqlite3_errstr(rc));
    }
    std::string col_text(int i) {
      auto* p = sqlite3_column_text(s, i);
      return p ? reinterpret_cast<const char*>(p) : "";
    }
  };

  static StoreEntry row(Stmt& st) {
    StoreEntry e;
    e.key = Hash128::from_hex(st.col_text(0));
    e.type = st.col_text(1) == "video" ? model::ValueType::video : model::ValueType::image;
    e.model = st.col_text(2);
    e.step = st.col_text(3);
    e.bytes = static_cast<std::uint64_t>(sqlite3_column_int64(st.s, 4));
    e.compute_seconds = sqlite3_column_double(st.s, 5);
    e.usd = sqlite3_column_double(st.s, 6);
    e.created_unix = sqlite3_column_int64(st.s, 7);
    e.last_used_unix = sqlite3_column_int64(st.s, 8);
    return e;
  }
};

ArtifactStore::ArtifactStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_ / "objects", ec);
  if (ec)
    throw Error(ErrorKind::Io,
                "cannot create artifact store at " + root_.string() + ": " + ec.message());
  index_ = std::make_unique<Index>(root_ / "index.sqlite");
}

ArtifactStore::~ArtifactStore() = default;

fs::path ArtifactStore::default_root() {
  return reel_home() / "store";
}

fs::path ArtifactStore::object_dir(const Hash128& key) const {
  // The key is hex we produced; never a user string, so no path traversal.
  std::string h = key.hex();
  return root_ / "objects" / h.substr(0, 2) / h.substr(2);
}

bool ArtifactStore::contains(const Hash128& key) const {
  std::error_code ec;
  return fs::exists(object_dir(key) / "meta.json", ec);
}

void ArtifactStore::touch(const Hash128& key) const {
  std::lock_guard lock(index_->mutex);
  Index::Stmt(index_->db, "UPDATE artifacts SET last_used=? WHERE key=?")
      .i64(1, now_unix())
      .text(2, key.hex())
      .step();
}

void ArtifactStore::index_put(const StoreEntry& e) {
  std::lock_guard lock(index_->mutex);
  Index::Stmt(index_->db, "INSERT OR REPLACE INTO artifacts VALUES (?,?,?,?,?,?,?,?,?)")
      .text(1, e.key.hex())
      .text(2, std::string(model::to_string(e.type)))
      .text(3, e.model)
      .text(4, e.step)
      .i64(5, static_cast<std::int64_t>(e.bytes))
      .real(6, e.compute_seconds)
      .real(7, e.usd)
      .i64(8, e.created_unix)
      .i64(9, e.last_used_unix)
      .step();
}

std::optional<Json> ArtifactStore::find_pending(const std::string& call_key) const {
  std::lock_guard lock(index_->mutex);
  Index::Stmt st(index_->db, "SELECT record FROM pending_calls WHERE key=?");
  st.text(1, call_key);
  if (!st.step()) return std::nullopt;
  try {
    return Json::parse(st.col_text(0));
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged record only costs a new submission
  }
}

void ArtifactStore::put_pending(const std::string& call_key, const Json& record) {
  std::lock_guard lock(index_->mutex);
  Index::Stmt(index_->db,
              "INSERT INTO pending_calls (key, record, created) VALUES (?, ?, ?) "
              "ON CONFLICT(key) DO UPDATE SET record=excluded.record")
      .text(1, call_key)
      .text(2, record.dump())
      .i64(3, static_cast<std::int64_t>(std::time(nullptr)))
      .step();
}

void ArtifactStore::remove_pending(const std::string& call_key) {
  std::lock_guard lock(index_->mutex);
  Index::Stmt(index_->db, "DELETE FROM pending_calls WHERE key=?").text(1, call_key).step();
}

void ArtifactStore::set_cost(const Hash128& key, double compute_seconds, double usd) {
  std::lock_guard lock(index_->mutex);
  Index::Stmt(index_->db, "UPDATE artifacts SET compute_seconds=?, usd=? WHERE key=?")
      .real(1, compute_seconds)
      .real(2, usd)
      .text(3, key.hex())
      .step();
}

std::optional<StoreEntry> ArtifactStore::entry(const Hash128& key) const {
  std::lock_guard lock(index_->mutex);
  Index::Stmt st(index_->db, "SELECT * FROM artifacts WHERE key=?");
  st.text(1, key.hex());
  if (!st.step()) return std::nullopt;
  return Index::row(st);
}

namespace {

// Writes an object into a hidden sibling folder, then renames it into place. If
// another process stored the same key meanwhile, theirs wins (same content).
template <class WriteFn>
void publish_object(const fs::path& final_dir, WriteFn&& write) {
  fs::path tmp = final_dir.parent_path() /
                 ("." + final_dir.filename().string() + ".tmp" + std::to_string(::getpid()) + "-" +
                  std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create " + tmp.string() + ": " + ec.message());
  try {
    write(tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  if (fs::exists(final_dir, ec)) {
    fs::remove_all(tmp, ec);
    return;
  }
  fs::rename(tmp, final_dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    if (!fs::exists(final_dir))
      throw Error(ErrorKind::Io, "cannot publish artifact " + final_dir.string());
  }
}

}  // namespace

Artifact ArtifactStore::index_new(const Hash128& key, model::ValueType type, const StoreEntry& info,
                                  const fs::path& file) {
  StoreEntry e = info;
  e.key = key;
  e.type = type;
  e.bytes = folder_bytes(file.parent_path());
  e.created_unix = e.last_used_unix = now_unix();
  index_put(e);
  Artifact a;
  a.key = key;
  a.type = type;
  a.file = file;
  return a;
}

namespace {

// Metadata fields every object carries.
Json object_meta(const StoreEntry& info, const Hash128& key, const char* type, int width,
                 int height, const std::vector<std::string>& notes, const Json& metadata) {
  Json meta = entry_json(info);
  meta["key"] = key.hex();
  meta["type"] = type;
  meta["width"] = width;
  meta["height"] = height;
  meta["notes"] = notes;
  meta["metadata"] = metadata;
  return meta;
}

// A provider's own manifest store beside the object (source.c2pa), its facts in meta.json.
void write_source(const fs::path& tmp, const std::optional<model::SourceCredentials>& src,
                  Json& meta) {
  if (!src) return;
  write_file_atomic(tmp / "source.c2pa", src->store);
  meta["source_credentials"] = {{"title", src->title},
                                {"format", src->format},
                                {"sha256", src->sha256},
                                {"status_codes", src->status_codes},
                                {"failures", src->failures}};
}

std::optional<model::SourceCredentials> read_source(const fs::path& dir, const Json& meta) {
  const auto it = meta.find("source_credentials");
  if (it == meta.end() || !it->is_object()) return std::nullopt;
  model::SourceCredentials s;
  s.title = it->value("title", "");
  s.format = it->value("format", "");
  s.sha256 = it->value("sha256", "");
  s.status_codes = it->value("status_codes", std::vector<std::string>{});
  s.failures = it->value("failures", std::vector<std::string>{});
  s.store = read_file(dir / "source.c2pa", 16u << 20);
  return s;
}

}  // namespace

Artifact ArtifactStore::put_image(const Hash128& key, model::ImageResult image,
                                  const StoreEntry& info) {
  image.image = image.image.to_u8();
  fs::path dir = object_dir(key);
  publish_object(dir, [&](const fs::path& tmp) {
    media::write_png(tmp / "image.png", image.image, kStorePng);
    if (image.depth) write_depth(tmp / "depth.f32", *image.depth);
    Json meta = object_meta(info, key, "image", image.image.width(), image.image.height(),
                            image.notes, image.metadata);
    if (image.rig) meta["rig"] = image.rig->to_json();
    if (image.light) meta["light"] = image.light->to_json();
    write_source(tmp, image.source_credentials, meta);
    write_file_atomic(tmp / "meta.json", meta.dump(1));
  });
  Artifact a = index_new(key, model::ValueType::image, info, dir / "image.png");
  a.width = image.image.width();
  a.height = image.image.height();
  a.image = std::make_shared<model::ImageResult>(std::move(image));
  return a;
}

Artifact ArtifactStore::put_video(const Hash128& key, model::VideoResult video,
                                  const StoreEntry& info, const media::Mp4Options& encode,
                                  const CancelToken& cancel) {
  fs::path dir = object_dir(key);
  publish_object(dir, [&](const fs::path& tmp) {
    media::write_mp4(tmp / "video.mp4", video.video, encode, cancel);
    Json meta = object_meta(info, key, "video", video.video.width(), video.video.height(),
                            video.notes, video.metadata);
    meta["frames"] = video.video.frames.size();
    meta["fps"] = {video.video.fps.num, video.video.fps.den};
    meta["encode"] = {{"crf", encode.crf}, {"preset", encode.preset}};
    write_source(tmp, video.source_credentials, meta);
    write_file_atomic(tmp / "meta.json", meta.dump(1));
  });
  Artifact a = index_new(key, model::ValueType::video, info, dir / "video.mp4");
  a.width = video.video.width();
  a.height = video.video.height();
  a.frame_count = static_cast<int>(video.video.frames.size());
  a.duration_seconds = video.video.duration_seconds();
  a.video = std::make_shared<model::VideoResult>(std::move(video));
  return a;
}

Artifact ArtifactStore::import_image(const model::ImageResult& image) {
  media::Image u8 = image.image.to_u8();
  Hasher h;
  h.add_field("import-image-v1").add_u64(static_cast<std::uint64_t>(u8.width()));
  h.add_u64(static_cast<std::uint64_t>(u8.height())).update(u8.u8(), u8.pixel_count() * 4);
  if (image.depth) h.update(image.depth->data(), image.depth->width() * image.depth->height() * 4);
  if (image.rig) h.add_field(canonical_json(image.rig->to_json()));
  if (image.light) h.add_field(canonical_json(image.light->to_json()));
  Hash128 key = h.digest();
  if (auto existing = get(key)) return *existing;
  StoreEntry info;
  info.model = "import";
  info.step = "import";
  return put_image(key, image, info);
}

std::vector<std::string> ArtifactStore::notes_of(const Hash128& key) const {
  const fs::path meta_file = object_dir(key) / "meta.json";
  std::error_code ec;
  if (!fs::exists(meta_file, ec)) return {};
  Json meta = parse_json(read_file(meta_file, 64 << 20), "artifact metadata");
  return meta.value("notes", std::vector<std::string>{});
}

std::optional<Artifact> ArtifactStore::get(const Hash128& key, bool decode_video) const {
  fs::path dir = object_dir(key);
  std::error_code ec;
  if (!fs::exists(dir / "meta.json", ec)) return std::nullopt;
  Json meta = parse_json(read_file(dir / "meta.json", 64 << 20), "artifact metadata");
  Artifact a;
  a.key = key;
  if (meta.value("type", "") == "video") {
    a.type = model::ValueType::video;
    a.file = dir / "video.mp4";
    auto v = std::make_shared<model::VideoResult>();
    v->notes = meta.value("notes", std::vector<std::string>{});
    v->metadata = meta.value("metadata", Json::object());
    v->source_credentials = read_source(dir, meta);
    if (decode_video) {
      v->video = media::read_mp4(a.file);
    } else if (meta.contains("fps")) {
      v->video.fps = media::Rational{meta["fps"][0].get<int>(), meta["fps"][1].get<int>()};
    }
    a.width = meta.value("width", 0);
    a.height = meta.value("height", 0);
    a.frame_count = meta.value("frames", 0);
    if (a.frame_count > 0 && v->video.fps.num > 0)
      a.duration_seconds = a.frame_count / v->video.fps.value();
    a.video = std::move(v);
  } else {
    a.type = model::ValueType::image;
    a.file = dir / "image.png";
    auto img = std::make_shared<model::ImageResult>();
    img->image = media::read_png(a.file);
    if (fs::exists(dir / "depth.f32", ec)) img->depth = read_depth(dir / "depth.f32");
    if (meta.contains("rig")) img->rig = model::Rig::from_json(meta["rig"]);
    if (meta.contains("light")) img->light = model::Light::from_json(meta["light"]);
    img->notes = meta.value("notes", std::vector<std::string>{});
    img->metadata = meta.value("metadata", Json::object());
    img->source_credentials = read_source(dir, meta);
    a.width = img->image.width();
    a.height = img->image.height();
    a.image = std::move(img);
  }
  touch(key);
  return a;
}

std::vector<StoreEntry> ArtifactStore::list() const {
  std::lock_guard lock(index_->mutex);
  Index::Stmt st(index_->db, "SELECT * FROM artifacts ORDER BY last_used DESC");
  std::vector<StoreEntry> out;
  while (st.step()) out.push_back(Index::row(st));
  return out;
}

GcResult ArtifactStore::gc(std::uint64_t max_bytes) {
  auto entries = list();  // most recently used first
  std::uint64_t total = 0;
  for (auto& e : entries) total += e.bytes;
  GcResult r;
  for (auto it = entries.rbegin(); it != entries.rend() && total > max_bytes; ++it) {
    std::error_code ec;
    fs::remove_all(object_dir(it->key), ec);
    {
      std::lock_guard lock(index_->mutex);
      Index::Stmt(index_->db, "DELETE FROM artifacts WHERE key=?").text(1, it->key.hex()).step();
    }
    total -= it->bytes;
    r.removed++;
    r.bytes_freed += it->bytes;
  }
  return r;
}

GcResult ArtifactStore::clear() {
  return gc(0);
}

}  // namespace reel::pipeline
