// Standard Webhooks v1 signing, verification and delivery (docs/remote.md).
#include "reel/remote/webhook.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <charconv>
#include <ctime>
#include <thread>

#include "reel/core/base64.hpp"
#include "reel/core/error.hpp"
#include "remote/address_policy.hpp"
#include "remote/http_client.hpp"

namespace reel::remote {
namespace {

std::string secret_key(std::string_view secret) {
  std::string_view b64 = secret;
  if (b64.starts_with("whsec_")) b64.remove_prefix(6);
  auto key = unbase64(b64);
  if (!key || key->size() < 24 || key->size() > 64)
    throw_error(ErrorKind::InvalidInput,
                "webhook secret must be 'whsec_' followed by standard base64 of 24 to 64 "
                "bytes (reel creates 32)");
  return *key;
}

std::string hmac_b64(const std::string& key, std::string_view content) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len))
    throw_error(ErrorKind::Internal, "HMAC-SHA256 failed");
  return base64(mac, mac_len);
}

void check_event_id(std::string_view id) {
  if (id.empty() || id.size() > 255)
    throw_error(ErrorKind::InvalidInput, "webhook event id must be 1..255 characters");
  for (char c : id)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      throw_error(ErrorKind::InvalidInput,
                  "webhook event id must be printable ASCII without spaces");
}

std::string signed_content(std::string_view id, std::int64_t ts, std::string_view body) {
  std::string s;
  s.reserve(id.size() + body.size() + 24);
  s.append(id).push_back('.');
  s.append(std::to_string(ts)).push_back('.');
  s.append(body);
  return s;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool retryable_status(int s) {
  return s == 408 || s == 409 || s == 425 || s == 429 || s >= 500;
}

}  // namespace

std::string generate_webhook_secret() {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1)
    throw_error(ErrorKind::Internal, "no randomness for a webhook secret");
  return "whsec_" + base64(key, sizeof key);
}

std::string sign_webhook(std::string_view secret, std::string_view event_id, std::int64_t timestamp,
                         std::string_view body) {
  check_event_id(event_id);
  return "v1," + hmac_b64(secret_key(secret), signed_content(event_id, timestamp, body));
}

std::string_view to_string(WebhookVerdict v) {
  switch (v) {
    case WebhookVerdict::Valid:
      return "valid";
    case WebhookVerdict::Malformed:
      return "malformed";
    case WebhookVerdict::StaleTimestamp:
      return "stale-timestamp";
    case WebhookVerdict::BadSignature:
      return "bad-signature";
  }
  return "unknown";
}

WebhookVerdict verify_webhook(std::string_view secret, const WebhookHeaders& h,
                              std::string_view body, std::int64_t now,
                              std::chrono::seconds tolerance) {
  const std::string key = secret_key(secret);
  if (h.id.empty() || h.id.size() > 255 || h.timestamp.empty() || h.signature.empty())
    return WebhookVerdict::Malformed;
  std::int64_t ts = 0;
  const auto* end = h.timestamp.data() + h.timestamp.size();
  auto [p, ec] = std::from_chars(h.timestamp.data(), end, ts);
  if (ec != std::errc{} || p != end || ts < 0) return WebhookVerdict::Malformed;
  if (ts < now - tolerance.count() || ts > now + tolerance.count())
    return WebhookVerdict::StaleTimestamp;
  const std::string expected = hmac_b64(key, signed_content(h.id, ts, body));
  // Several entries allow key rotation: any v1 entry that matches is enough.
  bool any_v1 = false;
  std::string_view list = h.signature;
  while (!list.empty()) {
    const auto sp = list.find(' ');
    std::string_view entry = list.substr(0, sp);
    list = sp == std::string_view::npos ? "" : list.substr(sp + 1);
    if (!entry.starts_with("v1,")) continue;
    any_v1 = true;
    entry.remove_prefix(3);
    if (entry.size() == expected.size() &&
        CRYPTO_memcmp(entry.data(), expected.data(), expected.size()) == 0)
      return WebhookVerdict::Valid;
  }
  return any_v1 ? WebhookVerdict::BadSignature : WebhookVerdict::Malformed;
}

void check_webhook_url(std::string_view url, bool allow_private) {
  const Url u = parse_url(url);
  if (allow_private) return;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  auto results = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec)
    throw_error(ErrorKind::InvalidInput,
                "webhook URL host '" + u.host + "' does not resolve: " + ec.message());
  for (const auto& r : results) {
    const auto reason = refused_address_reason(r.endpoint().address());
    if (!reason.empty())
      throw_error(ErrorKind::Policy, "webhook URL host '" + u.host + "' resolves to " +
                                         r.endpoint().address().to_string() + ", " +
                                         std::string(reason) +
                                         "; webhooks may only reach public addresses");
  }
}

WebhookDelivery deliver_webhook(std::string_view url, std::string_view secret,
                                std::string_view event_id, std::string_view body,
                                const WebhookOptions& o) {
  using namespace std::chrono;
  (void)secret_key(secret);
  check_event_id(event_id);
  const Url u = parse_url(url);
  const auto start = steady_clock::now();
  const auto end = start + o.deadline;
  auto backoff = o.initial_backoff;
  WebhookDelivery d;
  for (int attempt = 1; attempt <= o.max_attempts; ++attempt) {
    const auto left = duration_cast<milliseconds>(end - steady_clock::now());
    if (left.count() <= 0) break;
    HttpOptions ho;
    ho.connect_timeout = ho.io_timeout = ho.deadline = std::min(o.attempt_timeout, left);
    ho.max_body_bytes = 4096;  // the receiver's answer is only logged, never trusted
    ho.truncate_body = true;
    ho.refuse_private = !o.allow_private;
    HttpClient client(ho);
    const std::int64_t ts = unix_now();
    const Headers headers = {{"Content-Type", "application/json"},
                             {"webhook-id", std::string(event_id)},
                             {"webhook-timestamp", std::to_string(ts)},
                             {"webhook-signature", sign_webhook(secret, event_id, ts, body)}};
    d.attempts = attempt;
    milliseconds wait = backoff;
    try {
      const HttpResponse r = client.request("POST", u, headers, body);
      d.last_status = r.status;
      if (r.status >= 200 && r.status <= 299) {
        d.delivered = true;
        d.last_error.clear();
        return d;
      }
      d.last_error = "HTTP " + std::to_string(r.status);
      if (!retryable_status(r.status)) return d;  // 3xx not followed; 4xx is final
      const std::string ra = r.header("Retry-After");
      int secs = 0;
      auto [p, ec] = std::from_chars(ra.data(), ra.data() + ra.size(), secs);
      if (!ra.empty() && ec == std::errc{} && p == ra.data() + ra.size() && secs >= 0)
        wait = std::max(wait, milliseconds(seconds(secs)));
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Policy) throw;  // a refused address never becomes allowed
      d.last_status = 0;
      d.last_error = e.message();
    }
    wait = std::min(wait, o.max_backoff);
    if (attempt == o.max_attempts || steady_clock::now() + wait >= end) break;
    std::this_thread::sleep_for(wait);
    backoff = std::min(backoff * 2, o.max_backoff);
  }
  if (d.last_error.empty()) d.last_error = "deadline passed before the first attempt";
  return d;
}

std::string webhook_event_body(std::string_view type, const Json& data) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  Json j = {{"type", std::string(type)}, {"timestamp", stamp}, {"data", data}};
  return j.dump();
}

}  // namespace reel::remote
