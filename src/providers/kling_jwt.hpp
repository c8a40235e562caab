#pragma once
// Kling's API token: a JSON Web Token (RFC 7519) signed HS256 with the secret key, issued
// by the access key, minted afresh for every request so it never outlives its 30 minutes.
#include <ctime>
#include <string>
#include <string_view>

namespace reel::providers {

// header {alg: HS256, typ: JWT}, payload {iss: access_key, exp: now + 1800, nbf: now - 5}.
// `now` is a parameter so tests can mint expired and not-yet-valid tokens.
std::string kling_jwt(const std::string& access_key, const std::string& secret_key,
                      std::time_t now);

// base64url without padding (RFC 4648 §5), as JWTs encode every part.
std::string base64url(std::string_view bytes);

}  // namespace reel::providers
