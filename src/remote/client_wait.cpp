// Following a job to its end: the SSE stream when the server offers it (resumed with
// Last-Event-ID after a dropped connection), GET polling otherwise. Either way the
// job resource fetched at the end is the answer, never an event's payload alone.
#include <algorithm>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/remote/client.hpp"
#include "remote/http_client.hpp"
#include "remote/problem.hpp"

namespace reel::remote {
namespace {

using Clock = std::chrono::steady_clock;

bool terminal(const std::string& type) {
  return type == "succeeded" || type == "failed" || type == "canceled";
}

JobEvent job_event(const SseEvent& e) {
  JobEvent je{e.id, e.event, Json()};
  try {
    je.data = Json::parse(e.data);
  } catch (const std::exception&) {
  }
  // reel serve wraps each event as {"seq", "type", "at", "data": {...}}; callers get
  // the inner payload whichever form the server sends.
  if (je.data.is_object() && je.data.contains("data") && je.data.contains("type") &&
      je.data["data"].is_object())
    je.data = Json(je.data["data"]);
  return je;
}

Job finish(Job job) {
  const std::string s = job.status();
  if (s == "succeeded") return job;
  if (s == "canceled")
    throw_error(ErrorKind::Cancelled, "reel server: job " + job.id() + " was canceled");
  const Json err = job.raw.contains("error") ? job.raw["error"] : Json();
  std::string text;
  int status = 0;
  if (err.is_object()) {
    text = err.value("title", "");
    const std::string detail = err.value("detail", "");
    if (!detail.empty()) text += (text.empty() ? "" : ": ") + detail;
    if (err.contains("status") && err["status"].is_number_integer()) status = err["status"];
  }
  if (text.empty()) text = "no reason given";
  throw_error(status ? kind_for_status(status) : ErrorKind::Io,
              "reel server: job " + job.id() + " failed: " + text);
}

}  // namespace

bool ReelClient::follow_events(const std::string& job_id, Clock::time_point deadline,
                               const WaitOptions& o, std::string& last_event_id) {
  HttpOptions h;
  h.connect_timeout = options_.connect_timeout;
  h.io_timeout = options_.io_timeout;
  h.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (h.deadline.count() <= 0) return true;
  // With a cancel check, each stream lives at most cancel_check and is then resumed from
  // the last event id, so a quiet job still notices a cancellation in time.
  // (at least 1 s: a server may batch events that long, and a stream cut before its
  // first event would never make progress).
  if (o.cancelled)
    h.deadline = std::min(h.deadline, std::max(o.cancel_check, std::chrono::milliseconds(1000)));
  Headers headers = {{"Authorization", "Bearer " + options_.api_key}};
  if (!last_event_id.empty()) headers.emplace_back("Last-Event-ID", last_event_id);
  HttpClient http(h);
  int seen = 0;
  HttpResponse r = http.stream_events(parse_url(options_.server + "/v1/jobs/" + job_id + "/events"),
                                      headers, [&](const SseEvent& e) {
                                        ++seen;
                                        if (!e.id.empty()) last_event_id = e.id;
                                        JobEvent je = job_event(e);
                                        if (o.on_event) o.on_event(je);
                                        if (o.cancelled && o.cancelled()) return false;
                                        return !terminal(e.event);
                                      });
  if (r.status == 401 || r.status == 403 || r.status == 404)
    throw_problem(r.status, r.body, "", "GET /v1/jobs/" + job_id + "/events");
  if (r.status < 200 || r.status > 299) return false;  // no stream here: poll instead
  // A stream that closes at once without events would make us spin; pause a little.
  if (seen == 0) std::this_thread::sleep_for(o.poll_interval);
  return true;
}

Job ReelClient::wait(const std::string& job_id, const WaitOptions& o) {
  const auto deadline = Clock::now() + o.timeout;
  std::string last_event_id;
  bool events = o.use_events;
  Json last_progress;
  std::string last_status;
  for (;;) {
    Job job = get(job_id);
    if (job.finished()) return finish(std::move(job));
    if (o.cancelled && o.cancelled()) {
      try {
        cancel(job_id);
      } catch (const Error&) {
        // It may have finished meanwhile (409); the caller asked to stop either way.
      }
      throw_error(ErrorKind::Cancelled,
                  "canceled by the user; the server was asked to cancel job " + job_id);
    }
    if (Clock::now() >= deadline)
      throw_error(ErrorKind::Io, "reel server: job " + job_id + " still " + job.status() +
                                     " after " + std::to_string(o.timeout.count()) + " ms");
    if (events) {
      try {
        events = follow_events(job_id, deadline, o, last_event_id);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::Io) throw;
        // A dropped stream is resumed from the last event id on the next turn.
      }
      continue;
    }
    if (o.on_event) {
      const Json progress = job.raw.contains("progress") ? job.raw["progress"] : Json();
      if (job.status() != last_status || progress != last_progress)
        o.on_event(JobEvent{"", job.status() == last_status ? "progress" : job.status(), progress});
      last_status = job.status();
      last_progress = progress;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::this_thread::sleep_for(
        std::min({o.poll_interval, o.cancel_check, std::max(left, std::chrono::milliseconds(1))}));
  }
}

}  // namespace reel::remote
