#include "reel/server/key_revoke.hpp"

#include "reel/core/error.hpp"

namespace reel::server {
namespace {

constexpr int kPage = 200;

}  // namespace

RevokeOutcome revoke_key(JobStore& jobs, KeyStore& keys, const std::string& key_id,
                         bool cancel_running) {
  if (!keys.get(key_id)) throw Error(ErrorKind::NotFound, "no API key '" + key_id + "'");
  RevokeOutcome out;
  // Revoked first: from here on no job is admitted for the key and no worker starts one
  // (the claim re-checks), so the sweep below cannot miss a job queued meanwhile.
  out.newly_revoked = keys.revoke(key_id);
  std::string cursor;
  for (;;) {
    auto page = jobs.list_for_key(key_id, JobStatus::queued, cursor, kPage);
    for (const auto& job : page) {
      // A job claimed in the meantime is no longer queued: request_cancel then asks its
      // worker, which sees the revoked key at its claim check (or the cancel) and stops.
      if (!jobs.request_cancel(job.id)) continue;
      auto now = jobs.get(job.id);
      if (now && now->status == JobStatus::canceled) {
        keys.release(job.id);
        out.queued_canceled++;
      }
    }
    if (static_cast<int>(page.size()) < kPage) break;
    cursor = page.back().id;
  }
  if (cancel_running) {
    cursor.clear();
    for (;;) {
      auto page = jobs.list_for_key(key_id, JobStatus::running, cursor, kPage);
      for (const auto& job : page)
        if (jobs.request_cancel(job.id)) out.running_cancel_asked++;
      if (static_cast<int>(page.size()) < kPage) break;
      cursor = page.back().id;
    }
  }
  return out;
}

}  // namespace reel::server
