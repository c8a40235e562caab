#!/usr/bin/env python3
"""TEST DOUBLE of Alibaba Cloud Model Studio's (DashScope's) Wan video API
(dashscope/dashscope-sdk-python: aigc/video_synthesis.py, client/base_api.py; Model
Studio's Wan text-to-video and image-to-video API references).

  POST /api/v1/services/aigc/video-generation/video-synthesis
       {model, input {prompt, negative_prompt, img_url}, parameters {size | resolution,
        duration, seed, prompt_extend}}   (header X-DashScope-Async: enable, else 400)
       -> {request_id, output {task_id, task_status: PENDING}}
  GET  /api/v1/tasks/{task_id}
       -> {request_id, output {task_id, task_status: PENDING|RUNNING|SUCCEEDED|FAILED|
           CANCELED|UNKNOWN, video_url, code, message}, usage {video_duration, video_count}}
  POST /api/v1/tasks/{task_id}/cancel   (PENDING tasks only)
Auth: "Authorization: Bearer <DASHSCOPE_API_KEY>" (401 otherwise). img_url: an http(s)
URL or a base64 data URI. An unknown task is answered 200 with task_status UNKNOWN.

Assumptions, not documented where we read: the error codes and HTTP status of a refused
cancel (400 UnsupportedOperation), and Retry-After on 429 (code Throttling).
Behaviour key `stay_pending` (bool): unfinished tasks stay PENDING, so they can be
cancelled; otherwise a task is PENDING only until its first poll.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
SUBMIT = "/api/v1/services/aigc/video-generation/video-synthesis"
MODELS = {"wan2.2-t2v-plus": "t2v", "wan2.2-i2v-plus": "i2v"}
SIZES = {"832*480", "480*832", "624*624", "1920*1080", "1080*1920", "1440*1440",
         "1632*1248", "1248*1632"}
double = double_base.Double("dashscope")
double.config["stay_pending"] = False


def error(h, status, code, message, headers=None):
    h.reply(status, {"request_id": "req-1", "code": code, "message": message}, headers=headers)


def submit(h, body):
    if double.take_429():
        return error(h, 429, "Throttling", "Requests throttling triggered.",
                     headers={"Retry-After": str(double.config["retry_after"])})
    if h.headers.get("X-DashScope-Async") != "enable":
        return error(h, 403, "AccessDenied",
                     "current user api does not support synchronous calls")
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        return error(h, 400, "InvalidParameter", "invalid JSON")
    kind = MODELS.get(req.get("model"))
    if kind is None:
        return error(h, 400, "InvalidParameter", "Model not exist.")
    inp, par = req.get("input") or {}, req.get("parameters") or {}
    if not inp.get("prompt") and kind == "t2v":
        return error(h, 400, "InvalidParameter", "input.prompt is required")
    if kind == "i2v":
        url = str(inp.get("img_url", ""))
        if not re.match(r"^(https?://|data:image/(png|jpeg|jpg|bmp|webp);base64,)", url):
            return error(h, 400, "InvalidParameter", "input.img_url is invalid")
        if par.get("resolution", "1080P") not in ("480P", "1080P"):
            return error(h, 400, "InvalidParameter", "parameters.resolution is invalid")
    elif par.get("size", "1920*1080") not in SIZES:
        return error(h, 400, "InvalidParameter", "parameters.size is invalid")
    if par.get("duration", 5) != 5:
        return error(h, 400, "InvalidParameter", "parameters.duration must be 5")
    seed = par.get("seed", 0)
    if not isinstance(seed, int) or not 0 <= seed <= 2147483647:
        return error(h, 400, "InvalidParameter", "parameters.seed is out of range")
    tid = double.new_task()
    return h.reply(200, {"request_id": "req-1",
                         "output": {"task_id": tid, "task_status": "PENDING"}})


def task(h, tid):
    cfg = double.count("poll")
    state = double.advance(tid)
    out = {"task_id": tid}
    body = {"request_id": "req-1", "output": out}
    if state == "gone":
        out["task_status"] = "UNKNOWN"
    elif state == "canceled":
        out["task_status"] = "CANCELED"
    elif state == "failed":
        out.update(task_status="FAILED", code="DataInspectionFailed",
                   message=cfg["fail_message"])
    elif state == "done":
        out.update(task_status="SUCCEEDED", video_url=double.result_url(True))
        body["usage"] = {"video_duration": 5, "video_count": 1}
    else:
        pending = state == "queued" or cfg["stay_pending"]
        out["task_status"] = "PENDING" if pending else "RUNNING"
    return h.reply(200, body)


def cancel(h, tid):
    with double.lock:
        t = double.tasks.get(tid)
        pending = t is not None and (double.config["stay_pending"] or
                                     (t["polls"] <= 1 and not double.config["never_finish"]))
    if not pending:  # counted all the same: the request was made
        with double.lock:
            double.counts["cancel"] += 1
        return error(h, 400, "UnsupportedOperation",
                     "Failed to cancel the task, please confirm if the task is in PENDING "
                     "status.")
    double.mark_canceled(tid)
    return h.reply(200, {"request_id": "req-1"})


def route(h, method, body):
    if h.headers.get("Authorization") != "Bearer " + KEY:
        return error(h, 401, "InvalidApiKey", "Invalid API-key provided.")
    if method == "POST" and h.path == SUBMIT:
        return submit(h, body)
    m = re.fullmatch(r"/api/v1/tasks/([\w-]+)(/cancel)?", h.path)
    if m and method == "GET" and not m.group(2):
        return task(h, m.group(1))
    if m and method == "POST" and m.group(2):
        return cancel(h, m.group(1))
    return error(h, 404, "NotFound", "Not found")


if __name__ == "__main__":
    double_base.serve(double, route)
