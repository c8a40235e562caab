// Problem documents, query parsing and small validators shared by the routes.
#include "server/api_types.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "reel/core/error.hpp"

namespace reel::server {

ApiResponse ApiResponse::json(int status, const Json& body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

std::string problem_title(const std::string& slug) {
  static const std::map<std::string, std::string> titles = {
      {"unauthorized", "Missing or unknown API key"},
      {"forbidden", "API key revoked"},
      {"not-found", "Not found"},
      {"invalid-request", "Invalid request"},
      {"policy-refused", "Refused by the licence policy"},
      {"malformed-json", "Malformed JSON"},
      {"over-budget", "Over budget"},
      {"rate-limited", "Rate limit exceeded"},
      {"too-many-jobs", "Too many active jobs"},
      {"too-many-streams", "Too many open event streams"},
      {"payload-too-large", "Payload too large"},
      {"idempotency-conflict", "Idempotency key in use"},
      {"idempotency-mismatch", "Idempotency key reused with a different body"},
      {"conflict", "Conflict"},
      {"unsupported-media-type", "Unsupported media type"},
      {"range-not-satisfiable", "Range not satisfiable"},
      {"method-not-allowed", "Method not allowed"},
      {"unavailable", "Service unavailable"},
      {"model-unavailable", "Model not available on this server"},
      {"internal", "Internal error"},
  };
  auto it = titles.find(slug);
  return it == titles.end() ? slug : it->second;
}

ApiResponse with_header(ApiResponse r, std::string name, std::string value) {
  r.headers.emplace_back(std::move(name), std::move(value));
  return r;
}

ApiResponse problem(int status, const std::string& slug, const std::string& detail) {
  Json body = {{"type", "https://reel.dev/problems/" + slug},
               {"title", problem_title(slug)},
               {"status", status},
               {"detail", detail}};
  ApiResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

bool is_hex32(const std::string& text) {
  if (text.size() != 32) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        throw Error(ErrorKind::InvalidInput, "bad percent-escape in the query string");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string part = query.substr(start, end - start);
    if (!part.empty()) {
      std::size_t eq = part.find('=');
      std::string name = decode(part.substr(0, eq));
      out[name] = eq == std::string::npos ? "" : decode(part.substr(eq + 1));
    }
    start = end + 1;
  }
  return out;
}

int json_depth(const std::string& text) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

std::string rfc3339(std::int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

}  // namespace reel::server
