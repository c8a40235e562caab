#pragma once
// Tenant isolation of artifacts: a key sees the artifacts it uploaded and the ones its
// jobs produced, nothing else (anything else answers 404, as if absent).
#include <string>

#include "server/api_routes.hpp"

namespace reel::server {

bool artifact_visible(ApiState& state, const std::string& key_id, const std::string& hash);
// Records that key_id may see hash (uploads; outputs of its jobs once seen), so later
// checks need no scan of the key's jobs. Marker files under <store>/api-owners/<key>/.
void remember_owner(ApiState& state, const std::string& key_id, const std::string& hash);

}  // namespace reel::server
