#!/usr/bin/env python3
"""TEST DOUBLE of Adobe Firefly Services' Firefly API and of the Adobe IMS token endpoint
it is called with (developer.adobe.com/firefly-services/docs: the authentication guide and
"Using the asynchronous Firefly APIs"; the @adobe/firefly-apis models).

  POST /ims/token/v3 (application/x-www-form-urlencoded: grant_type=client_credentials,
       client_id, client_secret, scope with firefly_api and ff_apis)
       -> {access_token, token_type: "bearer", expires_in: 86399}
          | 400/401 {error, error_description}
  POST /v3/images/generate-async {prompt, numVariations, seeds, size {width, height},
       negativePrompt}, header x-model-version -> 202 {jobId, statusUrl, cancelUrl}
  GET  /v3/status/{jobId} -> {jobId, status: pending|running|succeeded|failed, progress,
       result: {size, outputs: [{seed, image: {url}}], contentClass}}
  PUT  /v3/cancel/{jobId}
API calls need "x-api-key: <client id>" (403 otherwise) and "Authorization: Bearer <a token
this double issued>" (401 otherwise). statusUrl and cancelUrl name Adobe's host, as the
real answers do, never this server: reel must rewrite them to the overridden base URL.
Not confirmed in Adobe's public pages, so assumed here: the word for a cancelled job
("canceled"), a failed job's {error_code, message}, and 404 for an unknown job.
Token requests are kept in "token_requests", apart from the API's "requests".
Behaviour key of this double: revoke_tokens (bool: every token issued so far is refused).
"""
import base64
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

SECRET = os.environ.get("DOUBLE_KEY", "")
CLIENT_ID = os.environ.get("DOUBLE_ACCESS_KEY", "")
ADOBE = "https://firefly-api.adobe.io"
JOB_PREFIX = "urn:ff:jobs:double:"
MODELS = {"image3", "image4_standard", "image4_ultra"}
double = double_base.Double("firefly")
issued = set()


def new_token():
    """A JWT-shaped bearer token, as IMS issues (not signed: the double only compares)."""
    header = base64.urlsafe_b64encode(b'{"alg":"RS256"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(
        json.dumps({"client_id": CLIENT_ID, "n": len(issued) + 1}).encode()).rstrip(b"=").decode()
    token = "%s.%s.double-signature-%d" % (header, payload, len(issued) + 1)
    issued.add(token)
    return token


def token(h, body):
    with double.lock:  # a token request is not an API request
        double.token_requests.append(double.requests.pop())
    if h.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
        return h.reply(400, {"error": "invalid_request", "error_description": "form body expected"})
    form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
    one = {k: v[0] for k, v in form.items()}
    if one.get("grant_type") != "client_credentials":
        return h.reply(400, {"error": "unsupported_grant_type",
                             "error_description": "grant_type must be client_credentials"})
    if one.get("client_id") != CLIENT_ID:
        return h.reply(400, {"error": "invalid_client",
                             "error_description": "invalid client_id parameter"})
    if one.get("client_secret") != SECRET:
        return h.reply(401, {"error": "invalid_client",
                             "error_description": "invalid client_secret parameter"})
    scopes = set(one.get("scope", "").split(","))
    if not {"firefly_api", "ff_apis"} <= scopes:
        return h.reply(400, {"error": "invalid_scope", "error_description": "invalid scope"})
    with double.lock:
        return h.reply(200, {"access_token": new_token(), "token_type": "bearer",
                             "expires_in": 86399})


def submit(h, body):
    if double.take_429():
        return h.reply(429, {"error_code": "too_many_requests", "message": "Too many requests"},
                       headers={"Retry-After": str(double.config["retry_after"])})
    if h.headers.get("x-model-version", "image3") not in MODELS:
        return h.reply(400, {"error_code": "validation_error",
                             "message": "unknown x-model-version"})
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        return h.reply(400, {"error_code": "validation_error", "message": "invalid JSON"})
    issues = []
    if not isinstance(req.get("prompt"), str) or not req["prompt"]:
        issues.append("prompt is required")
    n = req.get("numVariations", 1)
    if not isinstance(n, int) or not 1 <= n <= 4:
        issues.append("numVariations must be 1..4")
    seeds = req.get("seeds", [])
    if not isinstance(seeds, list) or (seeds and len(seeds) != n):
        issues.append("seeds must have numVariations entries")
    size = req.get("size", {"width": 2048, "height": 2048})
    if not isinstance(size, dict) or not all(isinstance(size.get(k), int) for k in ("width",
                                                                                    "height")):
        issues.append("size must be {width, height}")
    if issues:
        return h.reply(400, {"error_code": "validation_error", "message": "; ".join(issues)})
    job = JOB_PREFIX + double.new_task()
    return h.reply(202, {"jobId": job, "statusUrl": "%s/v3/status/%s" % (ADOBE, job),
                         "cancelUrl": "%s/v3/cancel/%s" % (ADOBE, job)})


def status(h, job):
    cfg = double.count("poll")
    state = double.advance(job[len(JOB_PREFIX):] if job.startswith(JOB_PREFIX) else job)
    if state == "gone":
        return h.reply(404, {"error_code": "not_found", "message": "Job not found"})
    if state == "failed":
        return h.reply(200, {"jobId": job, "status": "failed", "error_code": "generation_failed",
                             "message": cfg["fail_message"]})
    if state == "done":
        return h.reply(200, {"jobId": job, "status": "succeeded", "result": {
            "size": {"width": 64, "height": 48}, "contentClass": "photo",
            "outputs": [{"seed": 7, "image": {"url": double.result_url(False)}}]}})
    if state == "running":
        return h.reply(200, {"jobId": job, "status": "running", "progress": 40})
    return h.reply(200, {"jobId": job, "status": {"queued": "pending",
                                                  "canceled": "canceled"}[state]})


def route(h, method, body):
    if h.path == "/ims/token/v3" and method == "POST":
        return token(h, body)
    if h.headers.get("x-api-key") != CLIENT_ID:
        return h.reply(403, {"error_code": "403003", "message": "Api Key is invalid"})
    with double.lock:
        if double.config.pop("revoke_tokens", False):
            issued.clear()
    auth = h.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in issued:
        return h.reply(401, {"error_code": "401013", "message": "Oauth token is not valid"})
    if method == "POST" and h.path == "/v3/images/generate-async":
        return submit(h, body)
    m = re.fullmatch(r"/v3/(status|cancel)/([\w:.-]+)", h.path)
    if m and m.group(1) == "status" and method == "GET":
        return status(h, m.group(2))
    if m and m.group(1) == "cancel" and method == "PUT":
        job = m.group(2)
        double.mark_canceled(job[len(JOB_PREFIX):] if job.startswith(JOB_PREFIX) else job)
        return h.reply(200, {"jobId": job, "status": "cancel_pending"})
    return h.reply(404, {"error_code": "not_found", "message": "Not Found"})


if __name__ == "__main__":
    double_base.serve(double, route)
