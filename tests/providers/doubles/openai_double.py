#!/usr/bin/env python3
"""TEST DOUBLE of OpenAI's Images API, generations only (the team's research notes on
the Images API; not checked against OpenAI's SDK or reference).

  POST /v1/images/generations {model, prompt, size, n, quality, output_format, ...}
       -> {created, data: [{b64_json}], usage}   (synchronous: the answer is the image)
Errors: {error: {message, type, param, code}}. Auth "Authorization: Bearer
<OPENAI_API_KEY>" (401 otherwise). There is no task, no polling and no cancel.

The battery's behaviour keys map onto the one request: fail_message answers 400 with that
message (as a moderation refusal does); never_finish holds the request open; result
picks the bytes inside b64_json. The `download` counter counts images served inline.
Assumption: Retry-After on 429.
"""
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
MODELS = {"gpt-image-1"}
SIZES = {"auto", "1024x1024", "1536x1024", "1024x1536"}
double = double_base.Double("openai")


def error(h, status, message, etype, code=None, headers=None):
    h.reply(status, {"error": {"message": message, "type": etype, "param": None,
                               "code": code}}, headers=headers)


def generate(h, body):
    if double.take_429():
        return error(h, 429, "Rate limit reached for images per minute.", "requests",
                     "rate_limit_exceeded",
                     headers={"Retry-After": str(double.config["retry_after"])})
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        return error(h, 400, "We could not parse the JSON body of your request.",
                     "invalid_request_error")
    if req.get("model") not in MODELS:
        return error(h, 400, "Invalid value for 'model'.", "invalid_request_error",
                     "invalid_value")
    if req.get("size", "auto") not in SIZES or req.get("n", 1) != 1 or not req.get("prompt"):
        return error(h, 400, "Invalid value for 'size', 'n' or 'prompt'.",
                     "invalid_request_error", "invalid_value")
    held = time.time()
    while double.config["never_finish"] and time.time() - held < 60:
        time.sleep(0.05)
    cfg = dict(double.config)
    if cfg["fail_message"]:
        return error(h, 400, cfg["fail_message"], "image_generation_user_error",
                     "moderation_blocked")
    kind = "png" if cfg["result"] == "auto" else cfg["result"]
    with double.lock:
        double.counts["download"] += 1
    data = base64.b64encode(double.file(kind)).decode()
    return h.reply(200, {"created": 1765100000, "data": [{"b64_json": data}],
                         "usage": {"total_tokens": 100, "input_tokens": 50,
                                   "output_tokens": 50}})


def route(h, method, body):
    if h.headers.get("Authorization") != "Bearer " + KEY:
        return error(h, 401, "Incorrect API key provided.", "invalid_request_error",
                     "invalid_api_key")
    if method == "POST" and h.path == "/v1/images/generations":
        return generate(h, body)
    return error(h, 404, "Invalid URL (%s %s)" % (method, h.path), "invalid_request_error")


if __name__ == "__main__":
    double_base.serve(double, route)
