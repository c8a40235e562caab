#!/usr/bin/env python3
"""TEST DOUBLE of Replicate's predictions API (replicate-python; HTTP API reference).

  POST /v1/models/{owner}/{name}/predictions {"input": {...}} -> 201 prediction
  GET  /v1/predictions/{id} -> prediction: status starting|processing|succeeded|failed|canceled
  POST /v1/predictions/{id}/cancel -> prediction (canceled)
Auth: "Authorization: Bearer <REPLICATE_API_TOKEN>"; anything else is 401.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
double = double_base.Double("replicate")


def prediction(pid, status, output=None, error=None):
    return {"id": pid, "model": "owner/name", "status": status, "output": output,
            "error": error, "metrics": {"predict_time": 1.5} if status == "succeeded" else {},
            "urls": {"get": "%s/v1/predictions/%s" % (double.base, pid),
                     "cancel": "%s/v1/predictions/%s/cancel" % (double.base, pid)}}


def route(h, method, body):
    if h.headers.get("Authorization") != "Bearer " + KEY:
        return h.reply(401, {"title": "Unauthenticated", "detail": "You did not pass a valid "
                             "authentication token", "status": 401})
    m = re.fullmatch(r"/v1/predictions/([\w-]+)(/cancel)?", h.path)
    if m:
        pid, cancel = m.group(1), m.group(2)
        if cancel and method == "POST":
            with double.lock:
                double.counts["cancel"] += 1
                if pid in double.tasks:
                    double.tasks[pid]["canceled"] = True
            return h.reply(200, prediction(pid, "canceled"))
        with double.lock:
            double.counts["poll"] += 1
            cfg = dict(double.config)
        state = double.advance(pid)
        if state == "gone":
            return h.reply(404, {"title": "Not found", "detail": "Not found.", "status": 404})
        if state == "failed":
            return h.reply(200, prediction(pid, "failed", error=cfg["fail_message"]))
        if state == "done":
            video = "video" in double.tasks.get(pid, {}).get("model", "") or "i2v" in \
                double.tasks.get(pid, {}).get("model", "")
            return h.reply(200, prediction(pid, "succeeded", output=[double.result_url(video)]))
        return h.reply(200, prediction(pid, {"queued": "starting", "running": "processing",
                                             "canceled": "canceled"}[state]))
    m = re.fullmatch(r"/v1/models/([\w.-]+)/([\w.-]+)/predictions", h.path)
    if m and method == "POST":
        with double.lock:
            if double.counts["submit_429"] < double.config["submit_429"]:
                double.counts["submit_429"] += 1
                return h.reply(429, {"title": "Request was throttled", "status": 429,
                                     "detail": "Request was throttled."},
                               headers={"Retry-After": str(double.config["retry_after"])})
            double.counts["submit"] += 1
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return h.reply(422, {"title": "Invalid JSON", "status": 422})
        if not isinstance(req.get("input"), dict):
            return h.reply(422, {"title": "Input validation failed", "status": 422,
                                 "detail": "input is required"})
        pid = double.new_task()
        with double.lock:
            double.tasks[pid]["model"] = m.group(1) + "/" + m.group(2)
        return h.reply(201, prediction(pid, "starting"))
    return h.reply(404, {"title": "Not found", "status": 404})


if __name__ == "__main__":
    double_base.serve(double, route)
