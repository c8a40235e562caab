#pragma once
// Which licence policy a job runs under (docs/api.md, "policy"): the one its body names,
// else its API key's default (reel keys create --policy). A body may name the key's policy
// or a stricter one, never a looser one: a key made commercial-safe stays commercial-safe.
#include <string>

#include "reel/core/json.hpp"
#include "reel/server/key_store.hpp"

namespace reel::server {

// The policy name, "" for none. Throws Policy when the body names a policy looser than the
// key's, and InvalidInput when "policy" is not a built-in policy's name.
std::string effective_job_policy(const Json& body, const ApiKey& key);

}  // namespace reel::server
