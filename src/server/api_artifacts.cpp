// /v1/artifacts: uploads (PNG/JPEG through the hostile-input-safe decoders) and downloads
// (ETag, one byte range). The file path always comes from the store's own layout for a
// validated 32-hex hash, never from request text.
#include "server/api_artifacts.hpp"

#include <fstream>
#include <span>

#include "reel/core/error.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/png.hpp"
#include "reel/model/limits.hpp"
#include "server/output_signing.hpp"

namespace reel::server {

namespace fs = std::filesystem;

namespace {

// Decoding costs ~0.1 s per megapixel here: an upload past 8K UHD (33.2 MP) is refused
// from its header, whatever the key's limits, so a small file cannot buy seconds of CPU.
constexpr double kMaxUploadMegapixels = 40;

bool safe_key_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

fs::path owner_marker(ApiState& state, const std::string& key_id, const std::string& hash) {
  return state.ctx.artifacts.root() / "api-owners" / key_id / hash;
}

std::string media_type(const pipeline::Artifact& a) {
  if (a.type == model::ValueType::video) return "video/mp4";
  if (a.file.extension() == ".png") return "image/png";
  return "application/octet-stream";
}

}  // namespace

void remember_owner(ApiState& state, const std::string& key_id, const std::string& hash) {
  if (!is_hex32(hash) || !safe_key_id(key_id)) return;
  std::error_code ec;
  fs::path marker = owner_marker(state, key_id, hash);
  if (fs::exists(marker, ec)) return;
  fs::create_directories(marker.parent_path(), ec);
  std::ofstream(marker).put('\n');
}

bool artifact_visible(ApiState& state, const std::string& key_id, const std::string& hash) {
  if (!is_hex32(hash) || !safe_key_id(key_id)) return false;
  std::error_code ec;
  if (fs::exists(owner_marker(state, key_id, hash), ec)) return true;
  // Produced by one of the key's jobs: look through its succeeded jobs' results.
  std::string cursor;
  for (int pages = 0; pages < 100; ++pages) {
    auto jobs = state.ctx.jobs.list_for_key(key_id, JobStatus::succeeded, cursor, 200);
    for (const Job& job : jobs) {
      const Json& arts = job.result.is_object() && job.result.contains("artifacts")
                             ? job.result["artifacts"]
                             : Json();
      if (!arts.is_object()) continue;
      for (auto& [step, a] : arts.items())
        if (a.is_object() && a.value("hash", "") == hash) {
          remember_owner(state, key_id, hash);  // the next check is one stat()
          return true;
        }
    }
    if (jobs.size() < 200) break;
    cursor = jobs.back().id;
  }
  return false;
}

ApiResponse post_artifact(ApiState& state, const ApiRequest& request) {
  const std::string& body = request.body;
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(body.data()),
                                      body.size());
  std::string type = request.header("content-type");
  type = type.substr(0, type.find(';'));
  bool png = body.size() >= 8 && body.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
  bool jpeg = body.size() >= 3 && body.compare(0, 3, "\xff\xd8\xff") == 0;
  if ((type != "image/png" && type != "image/jpeg") || (type == "image/png" && !png) ||
      (type == "image/jpeg" && !jpeg))
    return problem(415, "unsupported-media-type",
                   "upload a PNG (Content-Type: image/png) or a JPEG (image/jpeg); the body's "
                   "bytes must match the type");
  // An upload costs decoding time: it takes a token from the key's rate like a submit,
  // and its declared size is held to the key's limits before a pixel is decoded (a small
  // file can declare 7680x7680).
  const ApiKey& key = *request.key;
  int retry = 0;
  if (!state.rate.take(key.id, key.rate_per_minute, retry))
    return with_header(
        problem(429, "rate-limited",
                "this key may submit or upload " + std::to_string(key.rate_per_minute) +
                    " times per minute; retry in " + std::to_string(retry) + " s"),
        "Retry-After", std::to_string(retry));
  const model::Limits limits = limits_for(key);
  const media::ImageSize declared =
      png ? media::png_size(bytes, "uploaded PNG") : media::jpeg_size(bytes, "uploaded JPEG");
  model::check_size(declared.width, declared.height, limits,
                    "uploaded image (as its header declares; checked before decoding)");
  if (double mp = double(declared.width) * declared.height / 1e6; mp > kMaxUploadMegapixels)
    return problem(422, "invalid-request",
                   "uploaded image: its header declares " + std::to_string(declared.width) + "x" +
                       std::to_string(declared.height) + " (" + std::to_string(int(mp)) +
                       " megapixels); uploads may be at most " +
                       std::to_string(int(kMaxUploadMegapixels)) +
                       " megapixels (7680x4320 fits); nothing was decoded");
  model::ImageResult image;
  image.image =
      png ? media::decode_png(bytes, "uploaded PNG") : media::decode_jpeg(bytes, "uploaded JPEG");
  model::check_size(image.image.width(), image.image.height(), limits, "uploaded image");
  pipeline::Artifact a = state.ctx.artifacts.import_image(image);
  state.ctx.keys.record_upload(key.id, static_cast<std::int64_t>(body.size()),
                               std::int64_t{image.image.width()} * image.image.height());
  std::string hash = a.key.hex();
  const std::string& key_id = key.id;
  if (!safe_key_id(key_id)) throw Error(ErrorKind::Internal, "unexpected API key id shape");
  remember_owner(state, key_id, hash);
  if (!fs::exists(owner_marker(state, key_id, hash)))
    throw Error(ErrorKind::Io, "cannot record the upload's owner under " +
                                   (state.ctx.artifacts.root() / "api-owners").string());
  return ApiResponse::json(
      201,
      {{"hash", hash}, {"url", "/v1/artifacts/" + hash}, {"width", a.width}, {"height", a.height}});
}

ApiResponse get_artifact(ApiState& state, const ApiRequest& request, const std::string& hash) {
  if (!is_hex32(hash)) return problem(404, "not-found", "artifact ids are 32 lowercase hex digits");
  if (!artifact_visible(state, request.key->id, hash))
    return problem(404, "not-found", "no artifact " + hash);
  auto a = state.ctx.artifacts.get(Hash128::from_hex(hash));
  if (!a || a->file.empty()) return problem(404, "not-found", "no artifact " + hash);
  // A job's output is served as its signed copy (Content Credentials, output_signing.hpp);
  // an uploaded image, or an artifact from before signing, as stored.
  std::error_code ec;
  const fs::path signed_copy =
      signed_artifact_path(state.ctx.artifacts, hash, a->type == model::ValueType::video);
  const bool is_signed = fs::exists(signed_copy, ec);
  const fs::path file = is_signed ? signed_copy : a->file;
  std::uint64_t size = fs::file_size(file, ec);
  if (ec) return problem(404, "not-found", "no artifact " + hash);
  std::string etag = "\"" + hash + (is_signed ? "-c2pa" : "") + "\"";
  ApiResponse r;
  r.content_type = media_type(*a);
  r.headers = {{"ETag", etag},
               {"Accept-Ranges", "bytes"},
               {"Cache-Control", "private, max-age=31536000, immutable"}};
  if (request.header("if-none-match") == etag) {
    r.status = 304;
    return r;
  }
  r.file = file;
  r.file_offset = 0;
  r.file_length = size;
  std::string range = request.header("range");
  if (range.empty()) return r;
  auto unsatisfiable = [&] {
    ApiResponse p = problem(416, "range-not-satisfiable",
                            "one range 'bytes=a-b', 'bytes=a-' or 'bytes=-n' within " +
                                std::to_string(size) + " bytes");
    p.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return p;
  };
  if (range.rfind("bytes=", 0) != 0 || range.find(',') != std::string::npos) return unsatisfiable();
  std::string spec = range.substr(6);
  auto dash = spec.find('-');
  if (dash == std::string::npos) return unsatisfiable();
  std::string a_text = spec.substr(0, dash), b_text = spec.substr(dash + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  std::uint64_t first = 0, last = 0;
  if (a_text.empty()) {
    if (!digits(b_text)) return unsatisfiable();
    std::uint64_t n = std::stoull(b_text);
    if (n == 0 || size == 0) return unsatisfiable();
    first = n >= size ? 0 : size - n;
    last = size - 1;
  } else {
    if (!digits(a_text) || (!b_text.empty() && !digits(b_text))) return unsatisfiable();
    first = std::stoull(a_text);
    last = b_text.empty() ? size - 1 : std::min<std::uint64_t>(std::stoull(b_text), size - 1);
    if (first >= size || first > last) return unsatisfiable();
  }
  r.status = 206;
  r.file_offset = first;
  r.file_length = last - first + 1;
  r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                              std::to_string(last) + "/" + std::to_string(size));
  return r;
}

}  // namespace reel::server
