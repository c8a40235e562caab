#include "providers/call_engine.hpp"

#include <algorithm>
#include <thread>

#include "providers/hosted_call.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {

Credentials credentials_for(const Provider& provider, const ProviderOptions& options) {
  Credentials c;
  std::string missing;
  for (const auto& var : provider.key_vars()) {
    auto it = options.keys.find(var);
    if (it == options.keys.end() || it->second.empty())
      missing += (missing.empty() ? "" : ", ") + var;
    else
      c.values.push_back(it->second);
  }
  if (!missing.empty())
    throw Error(ErrorKind::NotFound, provider.name() + " needs " + missing +
                                         ": set it in the environment (or --provider-keys FILE "
                                         "for reel serve / reel worker)");
  return c;
}

std::string redact(std::string text, const Credentials& keys) {
  std::vector<std::string> secrets = keys.values;
  if (!keys.token.empty()) secrets.push_back(keys.token);
  for (const auto& k : secrets) {
    if (k.size() < 4) continue;  // too short to search for without mangling text
    for (auto at = text.find(k); at != std::string::npos; at = text.find(k, at))
      text.replace(at, k.size(), "[redacted]");
  }
  return text;
}

// The calling thread drives the call: it sleeps between steps in short slices and
// wakes early on a cancel, which the next step acts on (the provider's cancel endpoint).
CallOutput run_call(const Provider& p, const ProviderOptions& o, const CallInput& in,
                    model::RunContext& ctx) {
  using Clock = HostedCall::Clock;
  HostedCall call(p, o, in, ctx);
  CurlHttp http;
  while (const auto wake = call.step(http))
    while (!call.cancelled() && Clock::now() < *wake)
      std::this_thread::sleep_for(
          std::min<Clock::duration>(std::chrono::milliseconds(25), *wake - Clock::now()));
  return call.take_output();
}

}  // namespace reel::providers
