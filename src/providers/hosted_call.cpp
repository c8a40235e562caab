#include "providers/hosted_call.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "reel/core/base64.hpp"
#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"

namespace reel::providers {
namespace {

using Clock = HostedCall::Clock;
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

// Sleeps in short slices so a cancel is seen within ~25 ms. Only a synchronous
// provider's retries sleep inside a step: everything else returns its wake time.
void wait_for(milliseconds d, const model::RunContext& ctx) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
    ctx.check_cancelled();
    std::this_thread::sleep_for(std::min<milliseconds>(
        milliseconds(25), std::chrono::duration_cast<milliseconds>(until - Clock::now())));
  }
  ctx.check_cancelled();
}

// The submission's backoff when the provider gives no Retry-After: 2, 4, 8 ... 32 s.
milliseconds submit_backoff(const HttpResponse& r, int attempt) {
  return retry_after(r).value_or(milliseconds(1000 << std::min(attempt, 5)));
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

std::string decode_data_uri(const std::string& uri) {
  const auto comma = uri.find(',');
  if (comma == std::string::npos || uri.substr(0, comma).find(";base64") == std::string::npos)
    throw Error(ErrorKind::InvalidInput, "an inline result is not a base64 data URI");
  auto bytes = unbase64(std::string_view(uri).substr(comma + 1));
  if (!bytes) throw Error(ErrorKind::InvalidInput, "an inline result is not valid base64");
  return *bytes;
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

}  // namespace

void clear_access_tokens() {
  TokenCache::instance().clear();
}

struct HostedCall::Session {
  const Provider& p;
  const ProviderOptions& o;
  Credentials keys;
  std::string base;
  HttpLimits api;            // requests to the provider's API
  HttpLimits download;       // result files
  CurlHttp* http = nullptr;  // the driving thread's, for the current step
  std::string token_key;     // the cache entry of keys.token, if any

  HttpResponse send(const HttpRequest& r, const HttpLimits& limits, const model::RunContext& ctx) {
    return http->send(r, limits, ctx.cancel);
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

  // A synchronous provider's one request, bounded by the call's timeout rather than the
  // API's usual minute: generating is what it waits for. Its retries wait here.
  TaskStatus submit_and_wait(const CallInput& in, const model::RunContext& ctx) {
    HttpLimits limits = api;
    limits.total_timeout = std::chrono::duration_cast<milliseconds>(o.timeout);
    const auto start = Clock::now();
    try {
      HttpRequest req = p.submit(base, in, keys);          // refuses bad values first
      if (authorize(ctx)) req = p.submit(base, in, keys);  // again, with the token
      for (int attempt = 1;; ++attempt) {
        HttpResponse r = send(req, limits, ctx);
        if (r.status >= 200 && r.status < 300)
          return read_answer(p, "a request", [&] { return p.status_of(Json::object(), r); });
        if (!retryable(r.status) || attempt == kSubmitAttempts) fail("refused the request", r);
        ctx.progress(0, p.name() + ": busy (HTTP " + std::to_string(r.status) + "), retrying");
        wait_for(submit_backoff(r, attempt), ctx);
      }
    } catch (const Error& e) {
      // curl ends the transfer at the limit: a little under it counts as the limit.
      if (e.kind() != ErrorKind::Io || Clock::now() - start < o.timeout - milliseconds(100)) throw;
      throw Error(ErrorKind::Io, p.name() + " request did not finish within " +
                                     std::to_string(o.timeout.count()) + " s; " +
                                     cancel(Json::object()));
    }
  }

  // The access token of a provider that takes one: from this process's cache, else
  // asked for with the keys (429 and 502-504 retried, waiting here: once per process).
  // True when it was set now.
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
    for (int attempt = 1;; ++attempt) {
      const HttpResponse r = send(*req, api, ctx);
      if (r.status >= 200 && r.status < 300) {
        const AccessToken t = read_answer(p, "a token request", [&] { return p.token_of(r); });
        if (t.value.empty())
          throw Error(ErrorKind::Io, p.name() + " answered the token request without a token");
        keys.token = t.value;
        TokenCache::instance().put(token_key, t.value, t.lifetime);
        return true;
      }
      if (!retryable(r.status) || attempt == kSubmitAttempts) fail("token request", r);
      wait_for(submit_backoff(r, attempt), ctx);
    }
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
      const HttpResponse r = http->send(*req, quick);
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

HostedCall::HostedCall(const Provider& p, const ProviderOptions& o, CallInput in,
                       model::RunContext& ctx)
    : s_(std::make_unique<Session>(Session{p, o, credentials_for(p, o), "", {}, {}, nullptr})),
      in_(std::move(in)),
      ctx_(ctx) {
  Session& s = *s_;
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
  can_record_ = ctx.pending && !ctx.call_key.empty();
  interval_ = o.poll_interval.count() > 0 ? o.poll_interval : p.poll_interval();
  max_interval_ = interval_ * 8;
}

HostedCall::~HostedCall() = default;

void HostedCall::record_task() {
  if (can_record_)
    ctx_.pending->put_pending(ctx_.call_key,
                              {{"provider", s_->p.name()}, {"model", in_.model}, {"task", task_}});
  out_.task_id = task_.value("id", std::string());
}

// The timeout runs from the first submission's acceptance (or the resume): a
// resubmission after a forgotten task does not restart it.
void HostedCall::start_polling() {
  if (deadline_ == Clock::time_point()) deadline_ = Clock::now() + s_->o.timeout;
  phase_ = Phase::poll;
}

void HostedCall::forget() {
  if (can_record_) ctx_.pending->remove_pending(ctx_.call_key);
}

std::optional<HostedCall::Clock::time_point> HostedCall::step(CurlHttp& http) {
  s_->http = &http;
  switch (phase_) {
    case Phase::start:
      return start();
    case Phase::submit:
      return submit();
    case Phase::poll:
      return poll();
    case Phase::download:
      download();
      return std::nullopt;
    case Phase::done:
      break;
  }
  throw Error(ErrorKind::Internal, "a finished hosted call was stepped again");
}

std::optional<HostedCall::Clock::time_point> HostedCall::start() {
  const Provider& p = s_->p;
  if (can_record_)
    if (auto rec = ctx_.pending->find_pending(ctx_.call_key);
        rec && rec->value("provider", "") == p.name() && rec->contains("task")) {
      task_ = (*rec)["task"];
      out_.resumed = true;
      out_.task_id = task_.value("id", std::string());
      ctx_.progress(0, p.name() + ": resuming task " + task_.value("id", std::string("?")));
      start_polling();
      return Clock::now();
    }
  if (p.synchronous()) {
    ctx_.check_cancelled();
    status_ = s_->submit_and_wait(in_, ctx_);
    finished_ = true;
    download();
    return std::nullopt;
  }
  phase_ = Phase::submit;
  return submit();
}

// One attempt at the submission; 429 and 502-504 come back after Retry-After (else
// 2, 4, 8 ... s), up to kSubmitAttempts. The pending-call record is written as soon as
// the task exists, before the first status request.
std::optional<HostedCall::Clock::time_point> HostedCall::submit() {
  ctx_.check_cancelled();
  const Provider& p = s_->p;
  HttpRequest req = p.submit(s_->base, in_, s_->keys);  // refuses bad values before any request
  if (s_->authorize(ctx_)) req = p.submit(s_->base, in_, s_->keys);  // again, with the token
  const HttpResponse r = s_->send(req, s_->api, ctx_);
  ++submit_attempts_;
  if (r.status < 200 || r.status >= 300) {
    if (!retryable(r.status) || submit_attempts_ == kSubmitAttempts)
      s_->fail("refused the request", r);
    ctx_.progress(0, p.name() + ": busy (HTTP " + std::to_string(r.status) + "), retrying");
    return Clock::now() + submit_backoff(r, submit_attempts_);
  }
  task_ = read_answer(p, "a submission", [&] { return p.task_of(in_, r); });
  record_task();
  start_polling();
  return Clock::now();  // the first status request does not wait
}

std::optional<HostedCall::Clock::time_point> HostedCall::poll() {
  try {
    return poll_once();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Cancelled && ctx_.cancel.cancelled()) {
      s_->cancel(task_);  // Ctrl-C or job cancel: stop paying at the provider too
      forget();
    }
    throw;
  }
}

// One status request (and the result request after a bare "done").
std::optional<HostedCall::Clock::time_point> HostedCall::poll_once() {
  ctx_.check_cancelled();
  const Provider& p = s_->p;
  auto next = [&](milliseconds extra = milliseconds(0)) {
    std::uniform_real_distribution<double> f(0.8, 1.2);
    return Clock::now() + extra +
           milliseconds(static_cast<long long>(interval_.count() * f(jitter_)));
  };
  if (Clock::now() > deadline_) {
    const std::string fate = s_->cancel(task_);
    forget();
    throw Error(ErrorKind::Io, p.name() + " task " + out_.task_id + " did not finish within " +
                                   std::to_string(s_->o.timeout.count()) + " s; " + fate);
  }
  HttpResponse r;
  s_->authorize(ctx_);  // a resumed task: no submission asked for the token
  try {
    r = s_->send(p.poll(s_->base, task_, s_->keys), s_->api, ctx_);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Io || ++failures_ > kPollFailures) throw;
    return next();
  }
  if (retryable(r.status) || r.status >= 500) {
    if (++failures_ > kPollFailures) s_->fail("kept failing while polling", r);
    return next(retry_after(r).value_or(milliseconds(0)));
  }
  if (out_.resumed && read_answer(p, "a status request", [&] { return p.task_forgotten(r); })) {
    // The provider no longer has the task an earlier run left: submit anew, once.
    forget();
    out_.resumed = false;
    submit_attempts_ = 0;
    phase_ = Phase::submit;
    return Clock::now();
  }
  if (r.status < 200 || r.status >= 300) s_->fail("answered a status request", r);
  failures_ = 0;
  status_ = read_answer(p, "a status request", [&] { return p.status_of(task_, r); });
  if (status_.state == TaskState::succeeded && status_.needs_result) {
    HttpResponse fr = s_->send(p.result(s_->base, task_, s_->keys), s_->api, ctx_);
    if (fr.status < 200 || fr.status >= 300) {
      forget();
      s_->fail("failed the task", fr);
    }
    status_ = read_answer(p, "a result request", [&] { return p.result_of(task_, fr); });
  }
  switch (status_.state) {
    case TaskState::succeeded:
      phase_ = Phase::download;
      return Clock::now();
    case TaskState::failed:
      forget();
      throw Error(ErrorKind::InvalidInput,
                  redact(p.name() + " task " + out_.task_id + " failed" +
                             (status_.message.empty() ? "" : ": " + status_.message),
                         s_->keys));
    case TaskState::canceled:
      forget();
      throw Error(ErrorKind::Cancelled, p.name() + " task " + out_.task_id + " was canceled");
    case TaskState::queued:
    case TaskState::running:
      break;
  }
  ctx_.progress(
      std::clamp(status_.progress, 0.0, 0.95),
      redact(p.name() + ": " +
                 (status_.message.empty()
                      ? std::string(status_.state == TaskState::queued ? "queued" : "running")
                      : status_.message),
             s_->keys));
  interval_ = std::min(max_interval_, interval_ + interval_ / 4);
  return next();
}

// The first output: inline, or downloaded under the address policy and the size cap.
void HostedCall::download() {
  const Provider& p = s_->p;
  phase_ = Phase::done;
  if (finished_ && status_.state != TaskState::succeeded)
    throw Error(ErrorKind::InvalidInput,
                redact(p.name() + " request failed" +
                           (status_.message.empty() ? "" : ": " + status_.message),
                       s_->keys));
  if (status_.outputs.empty()) {
    forget();
    throw Error(ErrorKind::InvalidInput,
                p.name() + " task " + out_.task_id + " succeeded but returned no output file");
  }
  out_.url = status_.outputs.front();
  out_.billed_usd = status_.billed_usd;
  ctx_.progress(0.96, p.name() + ": downloading the result");
  if (out_.url.rfind("data:", 0) == 0) {
    out_.bytes = decode_data_uri(out_.url);
    out_.url = "data:";
    // An inline result skipped the download's cap: the same limit holds.
    if (out_.bytes.size() > s_->o.max_download_bytes)
      throw Error(ErrorKind::InvalidInput, p.name() + ": the inline result is larger than " +
                                               std::to_string(s_->o.max_download_bytes) + " bytes");
  } else {
    HttpResponse d = s_->fetch_result(out_.url, ctx_);
    if (d.status < 200 || d.status >= 300)
      throw Error(ErrorKind::Io, p.name() + ": downloading the result from " + url_host(out_.url) +
                                     " answered HTTP " + std::to_string(d.status));
    out_.bytes = std::move(d.body);
  }
}

}  // namespace reel::providers
