#pragma once
// Revoking an API key with what follows from it (docs/server.md, "Key store"): the key is
// marked revoked (audit-logged), its queued jobs are canceled and their reservations
// released, and — when asked — its running jobs are asked to cancel (their workers stop
// them and charge the steps that finished). Workers also re-check the key when they
// claim a job, so a job claimed in the instant of the revoke does not start.
#include <string>

#include "reel/server/job_store.hpp"
#include "reel/server/key_store.hpp"

namespace reel::server {

struct RevokeOutcome {
  bool newly_revoked = false;    // false: it was revoked before (the jobs are swept again)
  int queued_canceled = 0;       // canceled, reservation released
  int running_cancel_asked = 0;  // cancel requested (cancel_running only)
};

// NotFound when the key does not exist.
RevokeOutcome revoke_key(JobStore& jobs, KeyStore& keys, const std::string& key_id,
                         bool cancel_running);

}  // namespace reel::server
