#!/usr/bin/env python3
"""TEST DOUBLE of Runway's developer API (runwayml/sdk-python: resources/image_to_video.py,
text_to_image.py, tasks.py; types/task_retrieve_response.py).

  POST   /v1/image_to_video {model, promptImage, promptText, ratio, duration, seed} -> {id}
  POST   /v1/text_to_image  {model, promptText, ratio, seed}                        -> {id}
  GET    /v1/tasks/{id} -> {id, createdAt, status: PENDING|THROTTLED|RUNNING|SUCCEEDED|
                            FAILED|CANCELLED, progress, output: [url], failure, failureCode}
  DELETE /v1/tasks/{id} -> 204
Auth: "Authorization: Bearer <RUNWAYML_API_SECRET>" (401 otherwise) and
"X-Runway-Version: 2024-11-06" (400 otherwise).
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
VERSION = "2024-11-06"
VIDEO_RATIOS = {"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"}
CREATED = "2026-12-07T10:00:00.000Z"
double = double_base.Double("runway")


def task(tid, status, **fields):
    return dict({"id": tid, "createdAt": CREATED, "status": status}, **fields)


def submit(h, body, video):
    if double.take_429():
        return h.reply(429, {"error": "You have exceeded the rate limit."},
                       headers={"Retry-After": str(double.config["retry_after"])})
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        return h.reply(400, {"error": "Request body is not valid JSON."})
    issues = []
    if not isinstance(req.get("model"), str):
        issues.append("model is required")
    if video and req.get("ratio") not in VIDEO_RATIOS:
        issues.append("ratio must be one of " + ", ".join(sorted(VIDEO_RATIOS)))
    if video and not str(req.get("promptImage", "")).startswith(("https://", "data:image/")):
        issues.append("promptImage must be an HTTPS URL or a data URI")
    if not video and not isinstance(req.get("promptText"), str):
        issues.append("promptText is required")
    if issues:
        return h.reply(400, {"error": "Validation of body failed", "issues": issues})
    tid = double.new_task()
    with double.lock:
        double.tasks[tid]["video"] = video
    return h.reply(200, {"id": tid})


def route(h, method, body):
    if h.headers.get("Authorization") != "Bearer " + KEY:
        return h.reply(401, {"error": "Incorrect API key provided."})
    if h.headers.get("X-Runway-Version") != VERSION:
        return h.reply(400, {"error": "API version header X-Runway-Version is missing or "
                                      "unsupported."})
    if method == "POST" and h.path in ("/v1/image_to_video", "/v1/text_to_image"):
        return submit(h, body, h.path == "/v1/image_to_video")
    m = re.fullmatch(r"/v1/tasks/([\w-]+)", h.path)
    if m and method == "DELETE":
        double.mark_canceled(m.group(1))
        return h.reply(204, b"")
    if m and method == "GET":
        tid = m.group(1)
        cfg = double.count("poll")
        state = double.advance(tid)
        if state == "gone":
            return h.reply(404, {"error": "Task not found."})
        if state == "failed":
            return h.reply(200, task(tid, "FAILED", failure=cfg["fail_message"],
                                     failureCode="SAFETY.INPUT.TEXT"))
        if state == "done":
            video = double.tasks.get(tid, {}).get("video", False)
            return h.reply(200, task(tid, "SUCCEEDED", output=[double.result_url(video)]))
        if state == "running":
            return h.reply(200, task(tid, "RUNNING", progress=0.4))
        return h.reply(200, task(tid, {"queued": "PENDING", "canceled": "CANCELLED"}[state]))
    return h.reply(404, {"error": "Not found."})


if __name__ == "__main__":
    double_base.serve(double, route)
