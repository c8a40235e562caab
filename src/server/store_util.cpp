#include "server/store_util.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::server::store {

std::string random_hex(int bytes) {
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(bytes));
  if (RAND_bytes(buf.data(), bytes) != 1)
    throw Error(ErrorKind::Internal, "no random bytes from OpenSSL for an id");
  return to_hex(buf);
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump_json(const Json& j, const char* what) {
  try {
    return j.dump();
  } catch (const Json::exception& e) {
    throw Error(ErrorKind::InvalidInput, std::string("job ") + what + " is not storable JSON (" +
                                             e.what() + "); strings must be UTF-8");
  }
}

Json parse_json_column(const std::string& text) {
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

std::int64_t to_nanos(double usd) {
  if (!std::isfinite(usd))
    throw Error(ErrorKind::InvalidInput, "an amount of money must be a finite number of USD");
  return std::llround(usd * 1e9);
}

double from_nanos(std::int64_t nanos) {
  return static_cast<double>(nanos) / 1e9;
}

}  // namespace reel::server::store

namespace reel::server {

Json key_json(const ApiKey& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"budget_usd", k.budget_usd < 0 ? Json(nullptr) : Json(k.budget_usd)},
          {"spent_usd", k.spent_usd},
          {"reserved_usd", k.reserved_usd},
          {"max_concurrent", k.max_concurrent},
          {"rate_per_minute", k.rate_per_minute},
          {"max_width", k.max_width},
          {"max_height", k.max_height},
          {"max_frames", k.max_frames},
          {"max_duration_s", k.max_duration_s},
          {"policy", k.policy.empty() ? Json(nullptr) : Json(k.policy)},
          {"revoked", k.revoked}};
}

double job_spend_cap_usd(double reserved_usd) {
  return store::from_nanos(store::job_cap_nanos(store::to_nanos(reserved_usd)));
}

}  // namespace reel::server

namespace reel::server::store {

void validate_key_spec(const ApiKey& spec) {
  auto bad = [](const std::string& what) {
    throw Error(ErrorKind::InvalidInput, "API key " + what);
  };
  if (!std::isfinite(spec.budget_usd)) bad("budget_usd must be a number (< 0: unlimited)");
  if (spec.max_concurrent < 1) bad("max_concurrent must be at least 1");
  if (spec.rate_per_minute < 1) bad("rate_per_minute must be at least 1");
  if (spec.max_width < 0 || spec.max_height < 0 || spec.max_frames < 0)
    bad("max_width, max_height and max_frames must be >= 0 (0: the global limit)");
  if (!std::isfinite(spec.max_duration_s) || spec.max_duration_s < 0)
    bad("max_duration_s must be >= 0 (0: the global limit)");
  if (!spec.policy.empty()) {
    const auto names = provenance::policy_names();
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    if (std::find(names.begin(), names.end(), spec.policy) == names.end())
      bad("policy '" + spec.policy + "' is not a built-in licence policy; allowed: " + list +
          " (or none)");
  }
}

std::int64_t job_cap_nanos(std::int64_t reserved_nanos) {
  const auto floor = to_nanos(kJobOverrunFloorUsd);
  const auto fraction = static_cast<std::int64_t>(
      std::ceil(static_cast<double>(reserved_nanos) * kJobOverrunFraction));
  return reserved_nanos + std::max(floor, fraction);
}

std::int64_t capped_charge(std::int64_t actual, std::int64_t reserved, std::int64_t budget_nanos,
                           std::int64_t committed_others) {
  if (budget_nanos < 0) return actual;  // no budget, nothing to cap against
  std::int64_t charge = std::min(actual, job_cap_nanos(reserved));
  return std::max<std::int64_t>(0, std::min(charge, budget_nanos - committed_others));
}

JobCharge job_charge(std::string key_id, std::string state, std::int64_t reserved,
                     std::int64_t charged, std::int64_t absorbed, std::int64_t budget_nanos,
                     bool key_revoked) {
  JobCharge c;
  c.key_revoked = key_revoked;
  c.key_id = std::move(key_id);
  c.state = std::move(state);
  c.reserved_usd = from_nanos(reserved);
  c.cap_usd = budget_nanos < 0 ? -1 : from_nanos(job_cap_nanos(reserved));
  c.charged_usd = from_nanos(charged);
  c.absorbed_usd = from_nanos(absorbed);
  return c;
}

std::string default_actor() {
  std::string user;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) user = pw->pw_name;
  if (user.empty()) user = "uid" + std::to_string(getuid());
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == 0)
    std::snprintf(host, sizeof host, "host");
  return user + "@" + host;
}

Json key_changes_json(const ApiKey& before, const ApiKey& after) {
  const Json a = key_json(before), b = key_json(after);
  Json out = Json::object();
  for (auto& [field, v] : b.items())
    if (a[field] != v) out[field] = {{"from", a[field]}, {"to", v}};
  return out;
}

ApiKey apply_key_update(ApiKey key, const KeyUpdate& change) {
  if (change.budget_usd) key.budget_usd = *change.budget_usd < 0 ? -1 : *change.budget_usd;
  if (change.policy) key.policy = *change.policy;
  if (change.max_concurrent) key.max_concurrent = *change.max_concurrent;
  if (change.rate_per_minute) key.rate_per_minute = *change.rate_per_minute;
  validate_key_spec(key);
  return key;
}

std::int64_t checked_charge(double usd) {
  if (!std::isfinite(usd) || usd < 0)
    throw Error(ErrorKind::InvalidInput,
                "a charge of " + std::to_string(usd) + " USD; it must be a finite amount >= 0");
  return to_nanos(usd);
}

KeySecret new_key_secret() {
  KeySecret k;
  k.key_id = "key_" + random_hex(8);
  k.secret = "reel_" + k.key_id + "_" + random_hex(16);
  k.hash_hex = hash_secret(k.secret);
  return k;
}

std::string hash_secret(std::string_view secret) {
  auto digest = sha256(secret);
  return to_hex(digest);
}

namespace {
bool all_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}
}  // namespace

std::optional<std::string> key_id_of_secret(std::string_view secret) {
  // reel_ key_ 16hex _ 32hex
  constexpr std::size_t id_len = 4 + 16, total = 5 + id_len + 1 + 32;
  if (secret.size() != total || secret.substr(0, 5) != "reel_") return std::nullopt;
  std::string_view id = secret.substr(5, id_len);
  if (id.substr(0, 4) != "key_" || !all_hex(id.substr(4)) || secret[5 + id_len] != '_' ||
      !all_hex(secret.substr(5 + id_len + 1)))
    return std::nullopt;
  return std::string(id);
}

bool same_digest(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void prepare_for_enqueue(Job& job) {
  if (job.max_attempts < 1)
    throw Error(ErrorKind::InvalidInput, "job max_attempts is " + std::to_string(job.max_attempts) +
                                             "; it must be at least 1");
  if (job.id.empty()) job.id = random_hex(16);
  if (job.created_ms == 0) job.created_ms = wall_clock_ms();
  job.updated_ms = job.created_ms;
  job.status = JobStatus::queued;
  job.attempts = 0;
  job.error.clear();
  job.result = nullptr;
  job.progress = nullptr;
  job.cancel_requested = false;
  job.worker_id.clear();
}

}  // namespace reel::server::store
