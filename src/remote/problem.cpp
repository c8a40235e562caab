// Server answers → reel::Error kinds (the table is in include/reel/remote/client.hpp).
#include "remote/problem.hpp"

#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/remote/client.hpp"

namespace reel::remote {

ErrorKind kind_for_status(int status) {
  switch (status) {
    case 400:
    case 401:
    case 409:
    case 413:
    case 422:
      return ErrorKind::InvalidInput;
    case 402:
    case 429:
      return ErrorKind::Budget;
    case 403:
      return ErrorKind::Policy;
    case 404:
      return ErrorKind::NotFound;
    default:
      return ErrorKind::Io;
  }
}

void throw_problem(int status, std::string_view body, std::string_view retry_after,
                   std::string_view what) {
  std::string text;
  std::string slug;
  try {
    Json j = Json::parse(body);
    if (j.is_object()) {
      if (j.contains("title") && j["title"].is_string()) text = j["title"].get<std::string>();
      if (j.contains("detail") && j["detail"].is_string() &&
          !j["detail"].get<std::string>().empty())
        text += (text.empty() ? "" : ": ") + j["detail"].get<std::string>();
      if (j.contains("type") && j["type"].is_string()) {
        slug = j["type"].get<std::string>();
        slug = slug.substr(slug.rfind('/') + 1);
      }
    }
  } catch (const std::exception&) {
  }
  if (text.empty()) text = std::string(body.substr(0, 300));
  std::string msg = "reel server: " + text + " (HTTP " + std::to_string(status);
  if (!slug.empty()) msg += " " + slug;
  msg += ")";
  if (status == 401) msg += "; check REEL_API_KEY / --api-key";
  if (!retry_after.empty()) msg += "; retry after " + std::string(retry_after) + " s";
  // A licence-policy refusal is a 422 like any invalid request, but it is the policy's
  // answer: the same kind (and exit code 9) as a local run's refusal.
  Error e(slug == "policy-refused" ? ErrorKind::Policy : kind_for_status(status), msg);
  if (!what.empty()) e.add_context(std::string(what));
  throw e;
}

}  // namespace reel::remote
