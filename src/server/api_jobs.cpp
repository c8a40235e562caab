// /v1/jobs: submission (validate → price → admit → enqueue), reads, listing, cancel, and
// the start of an event stream (the server streams it, see http_server.cpp).
#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <variant>

#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"
#include "reel/core/json_strict.hpp"
#include "reel/pipeline/executor.hpp"
#include "reel/pipeline/pipeline_file.hpp"
#include "reel/remote/webhook.hpp"
#include "server/api_artifacts.hpp"
#include "server/api_routes.hpp"
#include "server/key_policy.hpp"
#include "server/output_signing.hpp"

namespace reel::server {

namespace {

std::string random_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  Hash128 h{rng(), rng()};
  return h.hex();
}

void require_keys(const Json& body, const std::set<std::string>& allowed, const char* form) {
  for (auto& [k, v] : body.items())
    if (!allowed.count(k)) {
      std::string list;
      for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw Error(ErrorKind::InvalidInput,
                  "unknown field '" + k + "' in a " + form + " request; allowed: " + list);
    }
}

// The pipeline JSON of either request form.
Json pipeline_of(const Json& body) {
  if (body.contains("pipeline")) {
    require_keys(body, {"pipeline", "priority", "webhook", "policy"}, "pipeline");
    if (!body["pipeline"].is_object())
      throw Error(ErrorKind::InvalidInput, "'pipeline' must be an object (docs/pipelines.md)");
    return body["pipeline"];
  }
  if (body.contains("task")) {
    require_keys(body,
                 {"task", "model", "params", "inputs", "seed", "priority", "webhook", "policy"},
                 "single-task");
    Json step = {{"id", "result"}, {"task", body["task"]}};
    for (const char* k : {"model", "params", "inputs"})
      if (body.contains(k)) step[k] = body[k];
    Json p = {{"reel", 1}, {"name", "result"}, {"steps", Json::array({step})}};
    if (body.contains("seed")) p["seed"] = body["seed"];
    return p;
  }
  throw Error(ErrorKind::InvalidInput,
              "a job request needs either 'pipeline' (a pipeline document) or 'task' (the "
              "single-task shortcut); see docs/api.md");
}

int parse_prefer_wait(const std::string& prefer) {
  auto pos = prefer.find("wait=");
  if (pos == std::string::npos) return 0;
  int n = 0;
  for (std::size_t i = pos + 5; i < prefer.size() && std::isdigit(prefer[i]) && n < 1000; ++i)
    n = n * 10 + (prefer[i] - '0');
  return std::clamp(n, 0, 60);
}

bool owns(const Job& job, const ApiRequest& request) {
  return job.api_key_id == request.key->id;
}

}  // namespace

bool is_terminal(JobStatus s) {
  return s == JobStatus::succeeded || s == JobStatus::failed || s == JobStatus::canceled;
}
bool is_terminal_event(const std::string& type) {
  return type == "succeeded" || type == "failed" || type == "canceled";
}

Json job_json(const Job& job) {
  std::string self = "/v1/jobs/" + job.id;
  Json j = {{"id", job.id},
            {"status", std::string(to_string(job.status))},
            {"created_at", rfc3339(job.created_ms)},
            {"updated_at", rfc3339(job.updated_ms)},
            {"priority", job.priority},
            {"attempts", job.attempts},
            {"plan", job.spec.value("plan", Json::array())},
            {"estimate_usd", job.spec.value("estimate_usd", 0.0)},
            {"progress", job.progress.is_null() ? Json(nullptr) : job.progress},
            {"result", nullptr},
            {"error", nullptr},
            {"urls", {{"self", self}, {"cancel", self + "/cancel"}, {"events", self + "/events"}}}};
  if (job.status == JobStatus::succeeded) {
    Json result = job.result;
    if (result.is_object() && result.contains("artifacts") && result["artifacts"].is_object())
      for (auto& [step, a] : result["artifacts"].items())
        if (a.is_object() && a.contains("hash") && a["hash"].is_string())
          a["url"] = "/v1/artifacts/" + a["hash"].get<std::string>();
    j["result"] = result;
  }
  if (job.status == JobStatus::failed)
    j["error"] = {{"type", "https://reel.dev/problems/job-failed"},
                  {"title", "Job failed"},
                  {"status", 500},
                  {"detail", job.error}};
  // Stopped at its spend cap (job_runner.cpp): a problem type of its own.
  if (job.status == JobStatus::failed && job.error.rfind("Budget: budget-exhausted", 0) == 0)
    j["error"] = {{"type", "https://reel.dev/problems/budget-exhausted"},
                  {"title", "Budget exhausted"},
                  {"status", 402},
                  {"detail", job.error}};
  if (job.status == JobStatus::canceled && !job.error.empty()) j["error"] = nullptr;
  return j;
}

namespace {

// A job body that passed the cheap checks, and the pipeline it asks for.
struct CheckedBody {
  Json body;
  Json pipeline;
};

// The checks POST /v1/jobs and POST /v1/estimates share before any planning: the rate
// limit, the body (JSON, depth, form), the input references the key may use, priority.
// An answer when refused; throws InvalidInput (→ 422) for an unknown request form.
std::variant<ApiResponse, CheckedBody> check_body(ApiState& state, const ApiRequest& request) {
  const ApiKey& key = *request.key;
  int retry = 0;
  if (!state.rate.take(key.id, key.rate_per_minute, retry))
    return with_header(problem(429, "rate-limited",
                               "this key may submit " + std::to_string(key.rate_per_minute) +
                                   " jobs per minute; retry in " + std::to_string(retry) + " s"),
                       "Retry-After", std::to_string(retry));
  if (json_depth(request.body) > state.options.max_json_depth)
    return problem(
        400, "malformed-json",
        "JSON nested deeper than " + std::to_string(state.options.max_json_depth) + " levels");
  CheckedBody c;
  try {  // strict: trailing bytes, a NUL, a repeated key are refused, naming where
    c.body = parse_json_strict(request.body, "request body", state.options.max_json_depth);
  } catch (const Error& e) {
    return problem(400, "malformed-json", e.what());
  }
  if (!c.body.is_object())
    return problem(422, "invalid-request", "the request body must be an object");

  c.pipeline = pipeline_of(c.body);
  if (c.pipeline.contains("steps") && c.pipeline["steps"].is_array())
    for (const Json& step : c.pipeline["steps"])
      if (step.is_object() && step.contains("inputs") && step["inputs"].is_object())
        for (auto& [slot, ref] : step["inputs"].items())
          if (ref.is_string()) {
            std::string in = ref.get<std::string>();
            if (in.rfind("file:", 0) == 0)
              return problem(422, "invalid-request",
                             "input '" + slot +
                                 "': file: references are not allowed over the API; upload "
                                 "the image (POST /v1/artifacts) and use artifact:<hash>");
            if (in.rfind("artifact:", 0) == 0 && !artifact_visible(state, key.id, in.substr(9)))
              return problem(422, "invalid-request",
                             "input '" + slot + "': unknown artifact '" + in.substr(9) + "'");
          }
  if (c.body.contains("priority") &&
      (!c.body["priority"].is_number_integer() || c.body["priority"].get<long long>() < -100 ||
       c.body["priority"].get<long long>() > 100))
    return problem(422, "invalid-request", "'priority' must be an integer in -100..100");
  return c;
}

// The webhook is checked at submission, not when the job ends: a URL the workers would
// refuse must not cost the customer a run whose completion they never hear of. Estimates
// run it too, so an estimate that fits means the submit will be taken.
std::optional<ApiResponse> check_webhook(ApiState& state, const Json& body) {
  if (!body.contains("webhook")) return std::nullopt;
  const Json& hook = body["webhook"];
  if (!hook.is_object() || !hook.contains("url") || !hook["url"].is_string())
    return problem(422, "invalid-request",
                   "'webhook' must be an object with a \"url\" string (http or https)");
  try {
    remote::check_webhook_url(hook["url"].get<std::string>(), state.ctx.webhook_allow_private);
  } catch (const Error& e) {
    return problem(422, "invalid-request", std::string("webhook url: ") + e.what());
  }
  return std::nullopt;
}

struct Priced {
  pipeline::Graph graph;
  pipeline::RunPlan plan;
  Json plan_json = Json::array();
};

// The pipeline validated with the key's limits, then planned and priced; planning runs the
// pre-flight check (pipeline/preflight.hpp). Throws InvalidInput (→ 422) for an invalid
// pipeline or a call a model refuses, ModelUnavailable (→ 503) for a model that cannot
// run on this server — before anything is queued or reserved.
Priced price_pipeline(ApiState& state, const ApiKey& key, const Json& pipeline_json,
                      const Json& body) {
  auto& ctx = state.ctx;
  Priced r;
  r.graph =
      pipeline::parse_pipeline(pipeline_json.dump(), pipeline::FileFormat::json, "request body");
  r.graph.base_dir.clear();
  pipeline::ValidationOptions vo;
  vo.registry = &ctx.registry;
  vo.limits = limits_for(key);
  // A job's licence policy (its own or its key's default) refuses its models here, before
  // anything is queued or reserved.
  const std::string policy = effective_job_policy(body, key);
  vo.policy = job_policy(policy.empty() ? Json::object() : Json{{"policy", policy}});
  pipeline::validate(r.graph, vo);
  pipeline::Executor executor(ctx.registry, ctx.artifacts);
  // The key's limits hold for the calls as the models resolve them too (a studio `4k`
  // still is 3840x2160 whatever the params leave out): the plan's pre-flight checks that.
  pipeline::RunOptions ro;
  ro.limits = vo.limits;
  ro.cache_scope = key.id;  // as the job will run (job_runner.cpp)
  r.plan = executor.plan(r.graph, ro);
  for (const auto& s : r.plan.steps)
    // A budget is a promise about money: a step whose price reel does not know could
    // spend any amount, so a key with a budget may not run one (the estimate says $0).
    if (s.unpriced && !s.cached && key.budget_usd >= 0)
      throw Error(ErrorKind::Budget,
                  "step '" + s.step + "' uses " + s.model +
                      ", whose price reel does not know; a key with a budget may not run "
                      "unpriced models (use a priced model, or a key without a budget)");
  for (const auto& s : r.plan.steps) {
    const pipeline::Step* step = r.graph.find(s.step);
    r.plan_json.push_back({{"step", s.step},
                           {"task", step ? std::string(model::to_string(step->task)) : ""},
                           {"model", s.model},
                           {"estimate_usd", s.usd},
                           {"estimate_seconds", s.seconds},
                           {"cached", s.cached},
                           {"estimate_source", s.estimate_source},
                           {"estimate_warning",
                            s.estimate_warning.empty() ? Json(nullptr) : Json(s.estimate_warning)},
                           {"unpriced", s.unpriced}});
  }
  return r;
}

}  // namespace

ApiResponse post_job(ApiState& state, const ApiRequest& request) {
  const ApiKey& key = *request.key;
  auto& ctx = state.ctx;
  auto checked = check_body(state, request);
  if (auto* answer = std::get_if<ApiResponse>(&checked)) return std::move(*answer);
  const Json& body = std::get<CheckedBody>(checked).body;

  // A retried submit (same Idempotency-Key) is answered from the job it created, before
  // any planning and even when the key is now at its concurrency limit: that job is one
  // of the active ones.
  const std::string idempotency_key = request.header("idempotency-key");
  const std::string body_hash = xxh3_128(canonical_json(body)).hex();
  if (!idempotency_key.empty() && idempotency_key.size() <= 255)
    if (auto existing = ctx.jobs.find_idempotent(key.id, idempotency_key)) {
      if (existing->body_hash != body_hash)
        return problem(422, "idempotency-mismatch",
                       "idempotency key '" + idempotency_key + "' was used with a different body");
      return ApiResponse::json(200, job_json(*existing));
    }
  if (auto refused = check_webhook(state, body)) return std::move(*refused);
  const auto [graph, plan, plan_json] =
      price_pipeline(state, key, std::get<CheckedBody>(checked).pipeline, body);
  const int priority = body.contains("priority") ? body["priority"].get<int>() : 0;

  if (key.max_concurrent > 0 && ctx.jobs.count_active(key.id) >= key.max_concurrent)
    return with_header(problem(429, "too-many-jobs",
                               "this key may have " + std::to_string(key.max_concurrent) +
                                   " queued or running jobs at once"),
                       "Retry-After", "5");

  Job job;
  job.id = random_id();
  job.api_key_id = key.id;
  job.priority = priority;
  job.spec = {{"pipeline", graph.to_json()}, {"plan", plan_json}, {"estimate_usd", plan.usd}};
  if (body.contains("webhook")) job.spec["webhook"] = body["webhook"];
  // The worker checks the same policy again against its own models.
  if (auto policy = effective_job_policy(body, key); !policy.empty()) job.spec["policy"] = policy;
  job.idempotency_key = idempotency_key;
  if (job.idempotency_key.size() > 255)
    return problem(422, "invalid-request", "Idempotency-Key is longer than 255 characters");
  job.body_hash = body_hash;

  switch (ctx.keys.admit(key.id, job.id, plan.usd)) {
    case Admission::admitted:
      break;
    case Admission::over_budget: {
      Usage u = ctx.keys.usage(key.id);
      char detail[256];
      std::snprintf(detail, sizeof detail,
                    "the job is estimated at $%.6f; this key has $%.6f left of $%.6f (spent "
                    "$%.6f, reserved $%.6f)",
                    plan.usd, std::max(0.0, u.budget_usd - u.spent_usd - u.reserved_usd),
                    u.budget_usd, u.spent_usd, u.reserved_usd);
      return problem(402, "over-budget", detail);
    }
    case Admission::revoked:
      return problem(403, "forbidden", "this API key was revoked");
    case Admission::unknown_key:
      return problem(401, "unauthorized", "unknown API key");
  }
  std::pair<Job, bool> stored;
  try {
    stored = ctx.jobs.enqueue(job);
  } catch (const Error& e) {
    ctx.keys.release(job.id);
    if (e.kind() == ErrorKind::InvalidInput && !job.idempotency_key.empty())
      return problem(422, "idempotency-mismatch", e.what());
    throw;
  }
  if (!stored.second) {
    ctx.keys.release(job.id);
    return ApiResponse::json(200, job_json(stored.first));
  }
  ApiResponse r =
      with_header(ApiResponse::json(202, job_json(stored.first)), "Location", "/v1/jobs/" + job.id);
  // Prefer: wait=N — the server polls the job on timers (no store thread waits), then
  // answers through job_wait_answer().
  if (int wait = parse_prefer_wait(request.header("prefer")); wait > 0) {
    r.wait_job = job.id;
    r.wait_seconds = wait;
  }
  return r;
}

ApiResponse post_estimate(ApiState& state, const ApiRequest& request) {
  auto checked = check_body(state, request);
  if (auto* answer = std::get_if<ApiResponse>(&checked)) return std::move(*answer);
  // An estimate runs nothing (no idempotency), but it refuses what a submit would.
  if (auto refused = check_webhook(state, std::get<CheckedBody>(checked).body))
    return std::move(*refused);
  const Priced p = price_pipeline(state, *request.key, std::get<CheckedBody>(checked).pipeline,
                                  std::get<CheckedBody>(checked).body);
  // The budget as GET /v1/usage shows it (null = unlimited), and whether admission
  // would take the job now.
  const Usage u = state.ctx.keys.usage(request.key->id);
  const bool unlimited = u.budget_usd < 0;
  const double remaining = std::max(0.0, u.budget_usd - u.spent_usd - u.reserved_usd);
  return ApiResponse::json(200, {{"plan", p.plan_json},
                                 {"estimate_usd", p.plan.usd},
                                 {"estimate_seconds", p.plan.seconds},
                                 {"budget",
                                  {{"budget_usd", unlimited ? Json(nullptr) : Json(u.budget_usd)},
                                   {"spent_usd", u.spent_usd},
                                   {"reserved_usd", u.reserved_usd},
                                   {"remaining_usd", unlimited ? Json(nullptr) : Json(remaining)},
                                   {"fits", unlimited || p.plan.usd <= remaining}}}});
}

std::optional<ApiResponse> job_wait_answer(ApiState& state, const std::string& id, bool last) {
  auto job = state.ctx.jobs.get(id);
  if (!job) return problem(500, "internal", "job " + id + " vanished while waiting");
  if (!is_terminal(job->status) && !last) return std::nullopt;
  return with_header(ApiResponse::json(is_terminal(job->status) ? 201 : 202, job_json(*job)),
                     "Location", "/v1/jobs/" + id);
}

ApiResponse get_job(ApiState& state, const ApiRequest& request, const std::string& id) {
  if (!is_hex32(id)) return problem(404, "not-found", "job ids are 32 lowercase hex digits");
  std::string owner;
  if (auto body = state.finished_jobs.find(id, owner)) {
    if (owner != request.key->id) return problem(404, "not-found", "no job " + id);
    ApiResponse r;
    r.body = std::move(*body);
    return r;
  }
  auto job = state.ctx.jobs.get(id);
  if (!job || !owns(*job, request)) return problem(404, "not-found", "no job " + id);
  ApiResponse r = ApiResponse::json(200, job_json(*job));
  if (is_terminal(job->status)) {
    state.finished_jobs.put(id, job->api_key_id, r.body);
    if (job->result.is_object() && job->result.contains("artifacts") &&
        job->result["artifacts"].is_object())
      for (auto& [step, a] : job->result["artifacts"].items())
        if (a.is_object() && a.contains("hash") && a["hash"].is_string())
          remember_owner(state, job->api_key_id, a["hash"].get<std::string>());
  }
  return r;
}

ApiResponse list_jobs(ApiState& state, const ApiRequest& request) {
  std::optional<JobStatus> status;
  if (auto it = request.query.find("status"); it != request.query.end() && !it->second.empty())
    status = parse_job_status(it->second);
  std::string cursor;
  if (auto it = request.query.find("cursor"); it != request.query.end()) cursor = it->second;
  if (!cursor.empty() && !is_hex32(cursor))
    return problem(422, "invalid-request", "cursor must be a job id from next_cursor");
  int limit = 50;
  if (auto it = request.query.find("limit"); it != request.query.end()) {
    try {
      limit = std::stoi(it->second);
    } catch (...) {
      limit = 0;
    }
    if (limit < 1 || limit > 200) return problem(422, "invalid-request", "limit must be 1..200");
  }
  auto jobs = state.ctx.jobs.list_for_key(request.key->id, status, cursor, limit + 1);
  Json out = {{"jobs", Json::array()}, {"next_cursor", nullptr}};
  for (int i = 0; i < static_cast<int>(jobs.size()) && i < limit; ++i)
    out["jobs"].push_back(job_json(jobs[i]));
  if (static_cast<int>(jobs.size()) > limit) out["next_cursor"] = jobs[limit - 1].id;
  return ApiResponse::json(200, out);
}

ApiResponse cancel_job(ApiState& state, const ApiRequest& request, const std::string& id) {
  if (!is_hex32(id)) return problem(404, "not-found", "job ids are 32 lowercase hex digits");
  auto& jobs = state.ctx.jobs;
  auto job = jobs.get(id);
  if (!job || !owns(*job, request)) return problem(404, "not-found", "no job " + id);
  if (is_terminal(job->status) || !jobs.request_cancel(id))
    return problem(409, "conflict",
                   "job " + id + " already finished (" + std::string(to_string(job->status)) + ")");
  job = jobs.get(id);
  // A queued job is canceled at once and never ran: its reservation goes back. A running
  // one is stopped by its worker, which settles what the steps that ran cost.
  if (job && job->status == JobStatus::canceled) state.ctx.keys.release(id);
  return ApiResponse::json(202, job_json(*job));
}

ApiResponse job_events(ApiState& state, const ApiRequest& request, const std::string& id) {
  if (!is_hex32(id)) return problem(404, "not-found", "job ids are 32 lowercase hex digits");
  auto job = state.ctx.jobs.get(id);
  if (!job || !owns(*job, request)) return problem(404, "not-found", "no job " + id);
  ApiResponse r;
  r.sse = true;
  r.sse_job = id;
  std::string last = request.header("last-event-id");
  if (last.empty())
    if (auto it = request.query.find("after"); it != request.query.end()) last = it->second;
  if (!last.empty()) {
    try {
      r.sse_after = std::max(0LL, std::stoll(last));
    } catch (...) {
      return problem(422, "invalid-request", "Last-Event-ID must be an event id (an integer)");
    }
  }
  return r;
}

}  // namespace reel::server
