#include "key_policy.hpp"

#include <algorithm>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::server {
namespace {

// Strictest first. Every built-in policy must be listed here: a policy missing from the
// table would compare as looser than every other (the safe direction).
const std::vector<std::string>& by_strictness() {
  static const std::vector<std::string> order{"commercial-safe", "permissive"};
  return order;
}

int looseness(const std::string& name) {
  const auto& o = by_strictness();
  return static_cast<int>(std::find(o.begin(), o.end(), name) - o.begin());
}

}  // namespace

std::string effective_job_policy(const Json& body, const ApiKey& key) {
  if (!body.is_object() || !body.contains("policy")) return key.policy;
  const Json& p = body["policy"];
  const auto names = provenance::policy_names();
  if (!p.is_string() ||
      std::find(names.begin(), names.end(), p.get<std::string>()) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::InvalidInput,
                "'policy' must name a built-in licence policy: " + list + " (docs/provenance.md)");
  }
  const std::string named = p.get<std::string>();
  if (!key.policy.empty() && looseness(named) > looseness(key.policy))
    throw Error(ErrorKind::Policy, "this API key's jobs run under licence policy '" + key.policy +
                                       "'; the job names '" + named +
                                       "', which is looser (allowed: '" + key.policy +
                                       "' or a stricter policy)");
  return named;
}

}  // namespace reel::server
