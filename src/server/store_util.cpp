#include "server/store_util.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <chrono>
#include <cmath>
#include <vector>

#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"

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
