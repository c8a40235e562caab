#pragma once
// The async protocol every hosted call goes through, whatever the provider:
//   1. resume: a pending-call record under the step's cache key → poll that task;
//   2. else submit (429/502/503/504 retried, honouring Retry-After) and write the record
//      before waiting, so a run killed mid-wait resumes it instead of paying again;
//   3. poll at the provider's interval with backoff and jitter, reporting progress;
//      Ctrl-C / job cancel calls the provider's cancel endpoint; a timeout does too;
//   4. download the first output under the address policy and a size cap.
// The caller validates the bytes (decodes them) before anything is stored. The protocol
// is HostedCall's (hosted_call.hpp), a state machine: run_call drives one call on the
// calling thread; CallScheduler (call_scheduler.hpp) drives many on a few threads.
#include <optional>
#include <string>

#include "providers/provider.hpp"
#include "reel/model/tasks.hpp"
#include "reel/providers/providers.hpp"

namespace reel::providers {

struct CallOutput {
  std::string bytes;                 // the first output file
  std::string url;                   // where it came from ("data:" for inline results)
  std::optional<double> billed_usd;  // the provider's own charge, when it states one
  std::string task_id;               // for the result's metadata
  bool resumed = false;              // waited on a task an earlier run submitted
};

// Blocks the calling thread until the call ends.
CallOutput run_call(const Provider& provider, const ProviderOptions& options,
                    const CallInput& input, model::RunContext& ctx);

// The key values the provider needs from `options`; NotFound naming the variables
// (never a value) when one is missing.
Credentials credentials_for(const Provider& provider, const ProviderOptions& options);

// Forgets every access token this process holds (Provider::token_request): the next
// call of such a provider asks for a new one. For tests, whose doubles each issue their own.
void clear_access_tokens();

// `text` with every key value (and access token) replaced by "[redacted]": for any message
// that may quote a request or an answer.
std::string redact(std::string text, const Credentials& keys);

}  // namespace reel::providers
