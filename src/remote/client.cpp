// ReelClient requests: one HTTP exchange each, JSON in and out (docs/api.md).
#include "reel/remote/client.hpp"

#include <cctype>
#include <cstdlib>

#include "reel/core/error.hpp"
#include "remote/http_client.hpp"

namespace reel::remote {
namespace {

void check_hash(const std::string& hash) {
  bool ok = hash.size() == 32;
  for (char c : hash)
    ok = ok && (std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'));
  if (!ok)
    throw_error(ErrorKind::InvalidInput,
                "artifact hash '" + hash.substr(0, 64) + "' is not 32 lowercase hex digits");
}

void check_job_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok) throw_error(ErrorKind::InvalidInput, "job id '" + id.substr(0, 64) + "' is malformed");
}

ArtifactRef ref_of(const Json& j) {
  ArtifactRef r;
  r.hash = j.value("hash", "");
  r.kind = j.value("kind", "");
  r.media_type = j.value("media_type", "");
  r.url = j.value("url", "");
  return r;
}

}  // namespace

ClientOptions ClientOptions::from_env() {
  ClientOptions o;
  if (const char* s = std::getenv("REEL_SERVER")) o.server = s;
  if (const char* k = std::getenv("REEL_API_KEY")) o.api_key = k;
  return o;
}

std::string Job::id() const {
  return raw.value("id", "");
}
std::string Job::status() const {
  return raw.value("status", "");
}
bool Job::finished() const {
  const std::string s = status();
  return s == "succeeded" || s == "failed" || s == "canceled";
}

std::optional<ArtifactRef> Job::artifact(const std::string& step) const {
  const Json* r = raw.contains("result") && raw["result"].is_object() ? &raw["result"] : nullptr;
  if (!r || !r->contains("artifacts") || !(*r)["artifacts"].is_object()) return std::nullopt;
  const Json& a = (*r)["artifacts"];
  if (!a.contains(step) || !a[step].is_object()) return std::nullopt;
  return ref_of(a[step]);
}

ArtifactRef Job::output() const {
  if (status() != "succeeded")
    throw_error(ErrorKind::InvalidInput,
                "job " + id() + " is " + status() + "; only a succeeded job has an output");
  std::string out;
  if (raw["result"].is_object()) out = raw["result"].value("output", "");
  auto a = artifact(out);
  if (!a || a->hash.empty())
    throw_error(ErrorKind::Io,
                "job " + id() + ": the server's result names no artifact for '" + out + "'");
  return *a;
}

Json Job::cost() const {
  if (raw.contains("result") && raw["result"].is_object() && raw["result"].contains("cost"))
    return raw["result"]["cost"];
  return Json::object();
}

ReelClient::ReelClient(ClientOptions options) : options_(std::move(options)) {
  if (options_.server.empty())
    throw_error(ErrorKind::InvalidInput,
                "no reel server given; set REEL_SERVER=http://host:port or pass --server");
  const Url u = parse_url(options_.server);
  if (u.target.find('?') != std::string::npos)
    throw_error(ErrorKind::InvalidInput, "server URL '" + options_.server + "' has a query");
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
  if (options_.api_key.empty())
    throw_error(ErrorKind::InvalidInput,
                "no API key for " + options_.server +
                    "; set REEL_API_KEY (create one with `reel keys create`)");
  for (char c : options_.api_key)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      throw_error(ErrorKind::InvalidInput, "the API key has a space or control character");
}

namespace {

struct Prepared {
  Url url;
  Headers headers;
  HttpOptions http;
};

Prepared prepare(const ClientOptions& o, const std::string& path) {
  Prepared p;
  p.url = parse_url(o.server + path);
  p.headers = {{"Authorization", "Bearer " + o.api_key}, {"Accept", "application/json"}};
  p.http.connect_timeout = o.connect_timeout;
  p.http.io_timeout = o.io_timeout;
  return p;
}

}  // namespace

Json ReelClient::call(std::string_view method, const std::string& path, const Json* body,
                      const Headers& extra) {
  Prepared p = prepare(options_, path);
  p.headers.insert(p.headers.end(), extra.begin(), extra.end());
  std::string text;
  if (body) {
    text = body->dump();
    p.headers.emplace_back("Content-Type", "application/json");
  }
  const std::string what = std::string(method) + " " + path.substr(0, path.find('?'));
  HttpClient http(p.http);
  HttpResponse r = with_context(what, [&] { return http.request(method, p.url, p.headers, text); });
  if (r.status < 200 || r.status > 299)
    throw_problem(r.status, r.body, r.header("Retry-After"), what);
  if (r.body.empty()) return Json::object();
  return with_context(what, [&] { return parse_json(r.body, "the server's answer"); });
}

Job ReelClient::submit(const Json& body, const SubmitOptions& o) {
  if (!body.is_object() || (!body.contains("pipeline") && !body.contains("task")))
    throw_error(ErrorKind::InvalidInput,
                "a job body is {\"pipeline\": {...}} or {\"task\": ..., \"model\": ...}");
  Headers extra;
  if (!o.idempotency_key.empty()) extra.emplace_back("Idempotency-Key", o.idempotency_key);
  if (o.prefer_wait_seconds < 0 || o.prefer_wait_seconds > 60)
    throw_error(ErrorKind::InvalidInput, "prefer_wait_seconds must be 0..60");
  if (o.prefer_wait_seconds > 0)
    extra.emplace_back("Prefer", "wait=" + std::to_string(o.prefer_wait_seconds));
  return Job{call("POST", "/v1/jobs", &body, extra)};
}

Job ReelClient::submit_pipeline(const Json& pipeline, const SubmitOptions& o) {
  return submit(Json{{"pipeline", pipeline}}, o);
}

Json ReelClient::estimate(const Json& body) {
  if (!body.is_object() || (!body.contains("pipeline") && !body.contains("task")))
    throw_error(ErrorKind::InvalidInput,
                "a job body is {\"pipeline\": {...}} or {\"task\": ..., \"model\": ...}");
  return call("POST", "/v1/estimates", &body);
}

Job ReelClient::get(const std::string& job_id) {
  check_job_id(job_id);
  return Job{call("GET", "/v1/jobs/" + job_id, nullptr)};
}

Job ReelClient::cancel(const std::string& job_id) {
  check_job_id(job_id);
  return Job{call("POST", "/v1/jobs/" + job_id + "/cancel", nullptr)};
}

std::string ReelClient::upload_image(std::string_view bytes, std::string_view media_type) {
  if (media_type != "image/png" && media_type != "image/jpeg")
    throw_error(ErrorKind::InvalidInput, "upload media type '" + std::string(media_type) +
                                             "' is not image/png or image/jpeg");
  if (bytes.size() > (32u << 20))
    throw_error(ErrorKind::InvalidInput, "an uploaded image may be at most 32 MiB");
  Prepared p = prepare(options_, "/v1/artifacts");
  p.headers.emplace_back("Content-Type", std::string(media_type));
  HttpClient http(p.http);
  HttpResponse r = with_context("POST /v1/artifacts",
                                [&] { return http.request("POST", p.url, p.headers, bytes); });
  if (r.status < 200 || r.status > 299)
    throw_problem(r.status, r.body, r.header("Retry-After"), "POST /v1/artifacts");
  Json j = parse_json(r.body, "the server's upload answer");
  std::string hash = j.value("hash", "");
  check_hash(hash);
  return hash;
}

bool ReelClient::has_artifact(const std::string& hash) {
  check_hash(hash);
  Prepared p = prepare(options_, "/v1/artifacts/" + hash);
  p.headers.emplace_back("Range", "bytes=0-0");
  HttpClient http(p.http);
  HttpResponse r = http.request("GET", p.url, p.headers);
  if (r.status == 404) return false;
  if (r.status < 200 || r.status > 299)
    throw_problem(r.status, r.body, r.header("Retry-After"), "GET /v1/artifacts/" + hash);
  return true;
}

void ReelClient::download(const std::string& hash, const std::filesystem::path& path) {
  check_hash(hash);
  Prepared p = prepare(options_, "/v1/artifacts/" + hash);
  p.headers.back() = {"Accept", "*/*"};
  HttpClient http(p.http);
  const std::string what = "downloading artifact " + hash;
  HttpResponse r = with_context(
      what, [&] { return http.download(p.url, p.headers, path, options_.max_download_bytes); });
  if (r.status < 200 || r.status > 299) throw_problem(r.status, r.body, "", what);
}

std::string ReelClient::download_bytes(const std::string& hash, std::uint64_t max_bytes) {
  check_hash(hash);
  Prepared p = prepare(options_, "/v1/artifacts/" + hash);
  p.headers.back() = {"Accept", "*/*"};
  p.http.max_body_bytes = max_bytes;
  HttpClient http(p.http);
  const std::string what = "downloading artifact " + hash;
  HttpResponse r = with_context(what, [&] { return http.request("GET", p.url, p.headers); });
  if (r.status < 200 || r.status > 299) throw_problem(r.status, r.body, "", what);
  return std::move(r.body);
}

Json ReelClient::usage() {
  return call("GET", "/v1/usage", nullptr);
}
Json ReelClient::models() {
  return call("GET", "/v1/models", nullptr);
}
Json ReelClient::list_jobs(const std::string& status, int limit) {
  for (char c : status)
    if (!std::islower(static_cast<unsigned char>(c)))
      throw_error(ErrorKind::InvalidInput, "job status filter must be lowercase letters");
  std::string q = "/v1/jobs?limit=" + std::to_string(limit);
  if (!status.empty()) q += "&status=" + status;
  return call("GET", q, nullptr);
}

}  // namespace reel::remote
