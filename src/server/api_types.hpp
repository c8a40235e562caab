#pragma once
// The API's requests and responses as plain values, so the routes (api_*.cpp) stay free of
// Beast and can be unit-tested without a socket; http_server.cpp converts at the edge.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/server/key_store.hpp"

namespace reel::server {

struct ApiRequest {
  std::string method;
  std::string path;  // percent-decoded never: ids are checked as raw text
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names; only the ones routes read
  std::string body;
  std::optional<ApiKey> key;  // set by the server after authentication

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A file response: the body is file[offset, offset + length).
  std::filesystem::path file;
  std::uint64_t file_offset = 0;
  std::uint64_t file_length = 0;
  // An SSE response: the server streams the job's events after this seq.
  bool sse = false;
  std::string sse_job;
  std::int64_t sse_after = 0;
  // Prefer: wait — the server answers when this job finishes or after wait_seconds.
  std::string wait_job;
  int wait_seconds = 0;

  static ApiResponse json(int status, const Json& body);
};

// RFC 9457 problem+json with a stable type slug (docs/api.md lists them).
ApiResponse problem(int status, const std::string& slug, const std::string& detail);
// `r` with one more header.
ApiResponse with_header(ApiResponse r, std::string name, std::string value);
std::string problem_title(const std::string& slug);

// 32 lowercase hex digits: the only shape of job ids and artifact hashes.
bool is_hex32(const std::string& text);

// Splits "a=1&b=2" with percent-decoding; throws InvalidInput on a bad escape.
std::map<std::string, std::string> parse_query(const std::string& query);

// Depth of the deepest array/object in a JSON text (strings skipped), to refuse a
// 100k-deep document before a parser recurses into it.
int json_depth(const std::string& text);

std::string rfc3339(std::int64_t unix_ms);

}  // namespace reel::server
