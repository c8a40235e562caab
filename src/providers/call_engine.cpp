#include "providers/call_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "reel/core/base64.hpp"
#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"

namespace reel::providers {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kSubmitAttempts = 5;
constexpr int kPollFailures = 20;  // consecutive 429/5xx/transport failures while polling
constexpr int kMaxRedirects = 5;

bool retryable(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// Retry-After in seconds (the HTTP-date form is rare for these APIs: treated as absent).
std::optional<milliseconds> retry_after(const HttpResponse& r) {
  const std::string v = r.header("retry-after");
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return milliseconds(std::min<long long>(std::stoll(v.substr(0, 6)), 600) * 1000);
}

// Sleeps in short slices so a cancel is seen within ~25 ms.
void wait_for(milliseconds d, const model::RunContext& ctx) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
    ctx.check_cancelled();
    std::this_thread::sleep_for(std::min<milliseconds>(
        milliseconds(25), std::chrono::duration_cast<milliseconds>(until - Clock::now())));
  }
  ctx.check_cancelled();
}

// A redirect's Location made absolute against the URL that answered it.
std::string resolve_location(const std::string& from, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  const auto scheme = from.find("://");
  if (location.empty() || location.front() != '/' || scheme == std::string::npos)
    throw Error(ErrorKind::Io, "a result download was redirected to '" + location.substr(0, 100) +
                                   "', which reel cannot follow");
  return from.substr(0, from.find('/', scheme + 3)) + location;
}

// Access tokens (Provider::token_request) in this process's memory only, by provider,
// token URL and a digest of the keys. One is reused until a minute before the end of
// the lifetime its issuer gave, so a call rarely outlives it.
class TokenCache {
 public:
  static TokenCache& instance() {
    static TokenCache cache;
    return cache;
  }
  std::optional<std::string> find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(key);
    if (it == tokens_.end() || Clock::now() >= it->second.second) return std::nullopt;
    return it->second.first;
  }
  void put(const std::string& key, const std::string& token, std::chrono::seconds lifetime) {
    std::lock_guard lock(mutex_);
    tokens_[key] = {token, Clock::now() + lifetime - std::chrono::seconds(60)};
  }
  void forget(const std::string& key) {
    std::lock_guard lock(mutex_);
    tokens_.erase(key);
  }
  void clear() {
    std::lock_guard lock(mutex_);
    tokens_.clear();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, Clock::time_point>> tokens_;
};

struct Session {
  const Provider& p;
  const ProviderOptions& o;
  Credentials keys;
  std::string base;
  HttpLimits api;       // requests to the provider's API
  HttpLimits download;  // result files
  CurlHttp http;
  std::mt19937 jitter{std::random_device{}()};
  std::string token_key;  // the cache entry of keys.token, if any

  HttpResponse send(const HttpRequest& r, const HttpLimits& limits, const model::RunContext& ctx) {
    return http.send(r, limits, ctx.cancel);
  }

  // The provider's own words for an error answer; "" when they cannot be read (the
  // status and the start of the body still say what happened).
  std::string words(const HttpResponse& r) const {
    try {
      return read_answer(p, "an error", [&] { return p.error_message(r); });
    } catch (const Error&) {
      return "";
    }
  }

  [[noreturn]] void fail(const std::string& what, const HttpResponse& r) {
    std::string msg = words(r);
    if (msg.empty()) msg = r.body.substr(0, 300);
    const ErrorKind kind = r.status == 401 || r.status == 403 ? ErrorKind::Policy
                           : r.status == 404                  ? ErrorKind::NotFound
                           : r.status >= 500                  ? ErrorKind::Io
                                                              : ErrorKind::InvalidInput;
    // A token the API no longer takes (revoked, or expired early): the next call asks anew.
    if (r.status == 401 && !token_key.empty()) TokenCache::instance().forget(token_key);
    throw Error(kind, redact(p.name() + " " + what + " answered HTTP " + std::to_string(r.status) +
                                 (msg.empty() ? "" : ": " + msg),
                             keys));
  }

  milliseconds jittered(milliseconds d) {
    std::uniform_real_distribution<double> f(0.8, 1.2);
    return milliseconds(static_cast<long long>(d.count() * f(jitter)));
  }

  Json submit(const CallInput& in, const model::RunContext& ctx) {
    const HttpResponse r = accepted(in, api, ctx);
    return read_answer(p, "a submission", [&] { return p.task_of(in, r); });
  }

  // A synchronous provider's one request, bounded by the call's timeout rather than the
  // API's usual minute: generating is what it waits for.
  TaskStatus submit_and_wait(const CallInput& in, const model::RunContext& ctx) {
    HttpLimits limits = api;
    limits.total_timeout = std::chrono::duration_cast<milliseconds>(o.timeout);
    const auto start = Clock::now();
    try {
      const HttpResponse r = accepted(in, limits, ctx);
      return read_answer(p, "a request", [&] { return p.status_of(Json::object(), r); });
    } catch (const Error& e) {
      // curl ends the transfer at the limit: a little under it counts as the limit.
      if (e.kind() != ErrorKind::Io || Clock::now() - start < o.timeout - milliseconds(100)) throw;
      throw Error(ErrorKind::Io, p.name() + " request did not finish within " +
                                     std::to_string(o.timeout.count()) + " s; " +
                                     cancel(Json::object()));
    }
  }

  // The provider's 2xx answer to the submission, after retrying 429 and 502-504.
  HttpResponse accepted(const CallInput& in, const HttpLimits& limits,
                        const model::RunContext& ctx) {
    HttpRequest req = p.submit(base, in, keys);          // refuses bad values before any request
    if (authorize(ctx)) req = p.submit(base, in, keys);  // again, with the token
    return retrying(req, limits, ctx, "refused the request");
  }

  HttpResponse retrying(const HttpRequest& req, const HttpLimits& limits,
                        const model::RunContext& ctx, const std::string& what) {
    for (int attempt = 1;; ++attempt) {
      HttpResponse r = send(req, limits, ctx);
      if (r.status >= 200 && r.status < 300) return r;
      if (!retryable(r.status) || attempt == kSubmitAttempts) fail(what, r);
      ctx.progress(0, p.name() + ": busy (HTTP " + std::to_string(r.status) + "), retrying");
      wait_for(retry_after(r).value_or(milliseconds(1000 << std::min(attempt, 5))), ctx);
    }
  }

  // The access token of a provider that takes one: from this process's cache, else
  // asked for with the keys (retried like a submission). True when it got one now.
  bool authorize(const model::RunContext& ctx) {
    if (!keys.token.empty()) return false;
    const auto req = p.token_request(base, keys);
    if (!req) return false;
    std::string joined;
    for (const auto& k : keys.values) joined += k + '\n';
    token_key = p.name() + " " + req->url + " " + to_hex(sha256(joined));
    if (auto cached = TokenCache::instance().find(token_key)) {
      keys.token = *cached;
      return true;
    }
    const HttpResponse r = retrying(*req, api, ctx, "token request");
    const AccessToken t = read_answer(p, "a token request", [&] { return p.token_of(r); });
    if (t.value.empty())
      throw Error(ErrorKind::Io, p.name() + " answered the token request without a token");
    keys.token = t.value;
    TokenCache::instance().put(token_key, t.value, t.lifetime);
    return true;
  }

  // A result file. A request that carries a key follows redirects here, one hop at a
  // time, asking the provider again for each URL, so the key goes only where it says.
  HttpResponse fetch_result(std::string url, const model::RunContext& ctx) {
    for (int hop = 0;; ++hop) {
      const HttpRequest req = p.download(base, url, keys);
      HttpLimits limits = download;
      limits.follow_redirects = req.headers.empty();
      HttpResponse d = send(req, limits, ctx);
      const std::string location = d.header("location");
      if (limits.follow_redirects || d.status < 300 || d.status >= 400 || location.empty() ||
          hop == kMaxRedirects)
        return d;
      url = resolve_location(url, location);
    }
  }

  // What became of the task at the provider, for the timeout's message. Best effort,
  // never under the caller's (already cancelled) token.
  std::string cancel(const Json& task) {
    auto req = p.cancel(base, task, keys);
    if (!req)
      return p.name() + " has no cancel endpoint: the task may still finish there and be billed";
    try {
      HttpLimits quick = api;
      quick.total_timeout = milliseconds(10'000);
      const HttpResponse r = http.send(*req, quick);
      if (r.status >= 200 && r.status < 300) return "it was cancelled at the provider";
      // Some providers cancel only queued tasks: a running one goes on, and is billed.
      const std::string why = words(r);
      return redact(p.name() + " refused to cancel it (HTTP " + std::to_string(r.status) +
                        (why.empty() ? "" : ": " + why) +
                        "): it may still finish there and be billed",
                    keys);
    } catch (const std::exception&) {
      return "cancelling it at the provider failed: it may still finish there and be billed";
    }
  }
};

std::string decode_data_uri(const std::string& uri) {
  const auto comma = uri.find(',');
  if (comma == std::string::npos || uri.substr(0, comma).find(";base64") == std::string::npos)
    throw Error(ErrorKind::InvalidInput, "an inline result is not a base64 data URI");
  auto bytes = unbase64(std::string_view(uri).substr(comma + 1));
  if (!bytes) throw Error(ErrorKind::InvalidInput, "an inline result is not valid base64");
  return *bytes;
}

}  // namespace

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

void clear_access_tokens() {
  TokenCache::instance().clear();
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

CallOutput run_call(const Provider& p, const ProviderOptions& o, const CallInput& in,
                    model::RunContext& ctx) {
  Session s{p, o, credentials_for(p, o), "", {}, {}, {}, {}};
  const auto override_it = o.base_urls.find(p.name());
  const bool overridden = override_it != o.base_urls.end() && !override_it->second.empty();
  s.base = overridden ? override_it->second : p.default_base_url();
  while (!s.base.empty() && s.base.back() == '/') s.base.pop_back();
  s.api.max_body_bytes = 16ull << 20;
  s.api.total_timeout = milliseconds(60'000);
  // API requests carry the key, some in a custom header (x-key, x-goog-api-key) that
  // libcurl would resend to any host a redirect names: providers' APIs answer in place, so
  // a redirect there is an error (the provider's status, not a followed hop).
  s.api.follow_redirects = false;
  s.download.max_body_bytes = o.max_download_bytes;
  s.download.total_timeout = milliseconds(600'000);
  s.download.refuse_private = true;  // result URLs come from the provider: no internal hosts
  if (overridden) s.download.allowed_host = url_host(s.base);

  CallOutput out;
  Json task = Json::object();
  TaskStatus st;
  bool finished = false;  // a synchronous provider answered with the outcome
  const bool can_record = ctx.pending && !ctx.call_key.empty();
  if (can_record)
    if (auto rec = ctx.pending->find_pending(ctx.call_key);
        rec && rec->value("provider", "") == p.name() && rec->contains("task")) {
      task = (*rec)["task"];
      out.resumed = true;
      ctx.progress(0, p.name() + ": resuming task " + task.value("id", std::string("?")));
    }
  if (!out.resumed && p.synchronous()) {
    ctx.check_cancelled();
    st = s.submit_and_wait(in, ctx);
    finished = true;
  } else if (!out.resumed) {
    ctx.check_cancelled();
    task = s.submit(in, ctx);
    if (can_record)
      ctx.pending->put_pending(ctx.call_key,
                               {{"provider", p.name()}, {"model", in.model}, {"task", task}});
  }
  out.task_id = task.value("id", std::string());
  auto forget = [&] {
    if (can_record) ctx.pending->remove_pending(ctx.call_key);
  };

  const auto deadline = Clock::now() + o.timeout;
  milliseconds interval = o.poll_interval.count() > 0 ? o.poll_interval : p.poll_interval();
  const milliseconds max_interval = interval * 8;
  int failures = 0;
  try {
    for (bool first = true; !finished; first = false) {
      if (!first) wait_for(s.jittered(interval), ctx);
      if (Clock::now() > deadline) {
        const std::string fate = s.cancel(task);
        forget();
        throw Error(ErrorKind::Io, p.name() + " task " + out.task_id + " did not finish within " +
                                       std::to_string(o.timeout.count()) + " s; " + fate);
      }
      HttpResponse r;
      s.authorize(ctx);  // a resumed task: no submission asked for the token
      try {
        r = s.send(p.poll(s.base, task, s.keys), s.api, ctx);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::Io || ++failures > kPollFailures) throw;
        continue;
      }
      if (retryable(r.status) || r.status >= 500) {
        if (++failures > kPollFailures) s.fail("kept failing while polling", r);
        if (auto ra = retry_after(r)) wait_for(*ra, ctx);
        continue;
      }
      if (out.resumed && read_answer(p, "a status request", [&] { return p.task_forgotten(r); })) {
        // The provider no longer has the task an earlier run left: submit anew, once.
        forget();
        out.resumed = false;
        task = s.submit(in, ctx);
        if (can_record)
          ctx.pending->put_pending(ctx.call_key,
                                   {{"provider", p.name()}, {"model", in.model}, {"task", task}});
        out.task_id = task.value("id", std::string());
        continue;
      }
      if (r.status < 200 || r.status >= 300) s.fail("answered a status request", r);
      failures = 0;
      st = read_answer(p, "a status request", [&] { return p.status_of(task, r); });
      if (st.state == TaskState::succeeded && st.needs_result) {
        HttpResponse fr = s.send(p.result(s.base, task, s.keys), s.api, ctx);
        if (fr.status < 200 || fr.status >= 300) {
          forget();
          s.fail("failed the task", fr);
        }
        st = read_answer(p, "a result request", [&] { return p.result_of(task, fr); });
      }
      if (st.state == TaskState::succeeded) break;
      if (st.state == TaskState::failed) {
        forget();
        throw Error(ErrorKind::InvalidInput,
                    redact(p.name() + " task " + out.task_id + " failed" +
                               (st.message.empty() ? "" : ": " + st.message),
                           s.keys));
      }
      if (st.state == TaskState::canceled) {
        forget();
        throw Error(ErrorKind::Cancelled, p.name() + " task " + out.task_id + " was canceled");
      }
      ctx.progress(
          std::clamp(st.progress, 0.0, 0.95),
          redact(p.name() + ": " +
                     (st.message.empty()
                          ? std::string(st.state == TaskState::queued ? "queued" : "running")
                          : st.message),
                 s.keys));
      interval = std::min(max_interval, interval + interval / 4);
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Cancelled && ctx.cancel.cancelled()) {
      s.cancel(task);  // Ctrl-C or job cancel: stop paying at the provider too
      forget();
    }
    throw;
  }

  if (finished && st.state != TaskState::succeeded)
    throw Error(ErrorKind::InvalidInput,
                redact(p.name() + " request failed" + (st.message.empty() ? "" : ": " + st.message),
                       s.keys));
  if (st.outputs.empty()) {
    forget();
    throw Error(ErrorKind::InvalidInput,
                p.name() + " task " + out.task_id + " succeeded but returned no output file");
  }
  out.url = st.outputs.front();
  out.billed_usd = st.billed_usd;
  ctx.progress(0.96, p.name() + ": downloading the result");
  if (out.url.rfind("data:", 0) == 0) {
    out.bytes = decode_data_uri(out.url);
    out.url = "data:";
    // An inline result skipped the download's cap: the same limit holds.
    if (out.bytes.size() > o.max_download_bytes)
      throw Error(ErrorKind::InvalidInput, p.name() + ": the inline result is larger than " +
                                               std::to_string(o.max_download_bytes) + " bytes");
  } else {
    HttpResponse d = s.fetch_result(out.url, ctx);
    if (d.status < 200 || d.status >= 300)
      throw Error(ErrorKind::Io, p.name() + ": downloading the result from " + url_host(out.url) +
                                     " answered HTTP " + std::to_string(d.status));
    out.bytes = std::move(d.body);
  }
  return out;
}

}  // namespace reel::providers
