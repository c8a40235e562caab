#!/usr/bin/env python3
"""TEST DOUBLE of Bria's v2 API (docs.bria.ai: the Image Generation reference and the
Status Service).

  POST /image/generate {prompt, aspect_ratio, seed, sync} -> 202 {request_id, status_url}
  GET  /status/{request_id} -> 200 {request_id, status: IN_PROGRESS|COMPLETED|ERROR|UNKNOWN,
                               result: {image_url, seed, prompt}, error: {code, message}}
                               404 once the request is unknown or expired
No cancel endpoint is documented. Auth: "api_token: <BRIA_API_TOKEN>" (401 otherwise).
A failed job is still HTTP 200, as Bria documents: the status word says ERROR.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
RATIOS = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "16:10", "10:16",
          "2:1", "1:2", "21:9", "9:21", "3:1", "1:3", "4:1", "1:4", "5:1", "1:5"}
double = double_base.Double("bria")


def route(h, method, body):
    if h.headers.get("api_token") != KEY:
        return h.reply(401, {"error": {"code": 401, "message": "Unauthorized: invalid api_token"}})
    m = re.fullmatch(r"/status/([\w-]+)", h.path)
    if m and method == "GET":
        rid = m.group(1)
        cfg = double.count("poll")
        state = double.advance(rid)
        if state == "gone":
            return h.reply(404, {"error": {"code": 404, "message": "Request not found"}})
        if state == "failed":
            return h.reply(200, {"request_id": rid, "status": "ERROR",
                                 "error": {"code": 500, "message": cfg["fail_message"],
                                           "details": "generation failed"}})
        if state == "done":
            return h.reply(200, {"request_id": rid, "status": "COMPLETED",
                                 "result": {"image_url": double.result_url(False), "seed": 7,
                                            "prompt": ""}})
        return h.reply(200, {"request_id": rid, "status": "IN_PROGRESS"})
    if method == "POST" and h.path == "/image/generate":
        if double.take_429():
            return h.reply(429, {"error": {"code": 429, "message": "Too many requests"}},
                           headers={"Retry-After": str(double.config["retry_after"])})
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return h.reply(400, {"error": {"code": 400, "message": "Invalid JSON body"}})
        if not isinstance(req.get("prompt"), str) or not req["prompt"]:
            return h.reply(422, {"error": {"code": 422, "message": "prompt is required"}})
        if req.get("aspect_ratio", "1:1") not in RATIOS:
            return h.reply(422, {"error": {"code": 422, "message": "invalid aspect_ratio"}})
        rid = double.new_task()
        return h.reply(202, {"request_id": rid, "status_url": "%s/status/%s" % (double.base, rid)})
    return h.reply(404, {"error": {"code": 404, "message": "Not Found"}})


if __name__ == "__main__":
    double_base.serve(double, route)
