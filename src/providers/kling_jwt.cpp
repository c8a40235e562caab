#include "providers/kling_jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "reel/core/base64.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"

namespace reel::providers {

// Kling's documented lifetime, and the slack for a clock running a little ahead of theirs.
constexpr std::time_t kLifetimeSeconds = 1800, kClockSkewSeconds = 5;

std::string base64url(std::string_view bytes) {
  std::string s = base64(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::string kling_jwt(const std::string& access_key, const std::string& secret_key,
                      std::time_t now) {
  const Json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  const Json payload = {{"iss", access_key},
                        {"exp", static_cast<long long>(now + kLifetimeSeconds)},
                        {"nbf", static_cast<long long>(now - kClockSkewSeconds)}};
  const std::string signing_input = base64url(header.dump()) + "." + base64url(payload.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), secret_key.data(), static_cast<int>(secret_key.size()),
            reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
            &mac_len))
    throw Error(ErrorKind::Internal, "HMAC-SHA256 for Kling's token failed");
  return signing_input + "." +
         base64url(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

}  // namespace reel::providers
