#pragma once
// Job-completion webhooks, signed the Standard Webhooks v1 way (docs/remote.md):
//
//   webhook-id:        the event id, stable across retries (receivers dedupe on it)
//   webhook-timestamp: Unix seconds of this attempt
//   webhook-signature: "v1," + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))
//
// The key is the base64 text after "whsec_" in the secret. Delivery refuses URLs that
// could reach the server's own network (SSRF): only http/https, and no loopback,
// private, link-local, multicast or unspecified address unless allow_private is set.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "reel/core/json.hpp"

namespace reel::remote {

// "whsec_" + base64 of 32 random bytes.
std::string generate_webhook_secret();

// "v1,<base64 signature>" for one delivery. Throws InvalidInput for a secret that is
// not "whsec_<base64 of at least 24 bytes>" (or bare base64 of that length).
std::string sign_webhook(std::string_view secret, std::string_view event_id, std::int64_t timestamp,
                         std::string_view body);

enum class WebhookVerdict {
  Valid,
  Malformed,       // a header is missing or not in the spec's form
  StaleTimestamp,  // outside now ± tolerance (a replay or a badly skewed clock)
  BadSignature,    // no "v1," entry in the signature list matches
};
std::string_view to_string(WebhookVerdict verdict);

struct WebhookHeaders {
  std::string id;         // webhook-id
  std::string timestamp;  // webhook-timestamp, as received (decimal Unix seconds)
  std::string signature;  // webhook-signature: space-separated "v1,<b64>" entries
};

// What a receiver does: checks the timestamp against `now` and compares signatures in
// constant time. Never throws for bad input from the wire; a malformed secret throws.
WebhookVerdict verify_webhook(std::string_view secret, const WebhookHeaders& headers,
                              std::string_view body, std::int64_t now,
                              std::chrono::seconds tolerance = std::chrono::minutes(5));

struct WebhookOptions {
  int max_attempts = 6;                             // the first try included
  std::chrono::milliseconds initial_backoff{1000};  // doubled after each failure
  std::chrono::milliseconds max_backoff{60'000};
  std::chrono::milliseconds attempt_timeout{15'000};  // connect + send + response
  std::chrono::milliseconds deadline{300'000};        // all attempts and waits together
  bool allow_private = false;                         // tests and trusted intranets only
};

struct WebhookDelivery {
  bool delivered = false;  // a 2xx answer was received
  int attempts = 0;
  int last_status = 0;     // HTTP status of the last answer, 0 if none
  std::string last_error;  // why the last attempt failed, empty when delivered
};

// POSTs `body` (application/json) to `url` with the three headers, retrying on
// connection errors, timeouts, 408, 409, 425, 429 and 5xx (honouring Retry-After up
// to max_backoff); 3xx is not followed and other 4xx stop at once (410 = endpoint
// gone). A delivery failure is a value, not an exception, so a job's outcome never
// depends on its customer's endpoint. Throws Error(InvalidInput) for a malformed URL
// or secret and Error(Policy) for a URL refused by the SSRF rules (checked on every
// attempt, against every address the name resolves to).
WebhookDelivery deliver_webhook(std::string_view url, std::string_view secret,
                                std::string_view event_id, std::string_view body,
                                const WebhookOptions& options = {});

// The checks deliver_webhook applies, for validating a URL when a job is submitted
// (→ 422 there): throws InvalidInput (not http/https, bad port, no host) or Policy
// (resolves to a refused address).
void check_webhook_url(std::string_view url, bool allow_private = false);

// The thin event body the spec recommends:
// {"type": "job.succeeded", "timestamp": "<RFC 3339>", "data": {"id": ..., "status": ...}}
// `data` is included as given (the server adds what it chooses, e.g. the result urls).
std::string webhook_event_body(std::string_view type, const Json& data);

}  // namespace reel::remote
