#!/usr/bin/env python3
"""TEST DOUBLE of Luma's Dream Machine API (lumalabs/lumaai-python:
resources/generations/generations.py, types/generation_create_params.py, types/generation.py).

  POST   /generations/video {model, prompt, aspect_ratio, duration, resolution, keyframes}
         -> 201 generation {id, state: queued, ...}
  GET    /generations/{id} -> generation: state queued|dreaming|completed|failed,
                              assets.video, failure_reason
  DELETE /generations/{id} -> 204
Auth: "Authorization: Bearer <LUMAAI_API_KEY>" (401 otherwise). Keyframe images must be
URLs: a data URI is refused, as Luma has no upload.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
MODELS = {"ray-1-6", "ray-2", "ray-flash-2"}
RATIOS = {"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"}
double = double_base.Double("luma")


def generation(gid, state, video=None, failure=None):
    return {"id": gid, "generation_type": "video", "state": state, "failure_reason": failure,
            "created_at": "2026-12-07T10:00:00.000Z", "model": "ray-2",
            "assets": {"video": video} if video else None, "request": {}}


def submit(h, body):
    if double.take_429():
        return h.reply(429, {"detail": "Too many requests"},
                       headers={"Retry-After": str(double.config["retry_after"])})
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        return h.reply(400, {"detail": "Invalid JSON"})
    if req.get("model") not in MODELS:
        return h.reply(400, {"detail": "model must be one of " + ", ".join(sorted(MODELS))})
    if "aspect_ratio" in req and req["aspect_ratio"] not in RATIOS:
        return h.reply(400, {"detail": "invalid aspect_ratio"})
    frame0 = (req.get("keyframes") or {}).get("frame0") or {}
    if frame0.get("type") == "image" and not str(frame0.get("url", "")).startswith("https://"):
        return h.reply(400, {"detail": "keyframe url must be an https URL"})
    gid = double.new_task()
    return h.reply(201, generation(gid, "queued"))


def route(h, method, body):
    if h.headers.get("Authorization") != "Bearer " + KEY:
        return h.reply(401, {"detail": "Invalid API key"})
    if method == "POST" and h.path == "/generations/video":
        return submit(h, body)
    m = re.fullmatch(r"/generations/([\w-]+)", h.path)
    if m and method == "DELETE":
        double.mark_canceled(m.group(1))
        return h.reply(204, b"")
    if m and method == "GET":
        gid = m.group(1)
        cfg = double.count("poll")
        state = double.advance(gid)
        if state == "gone":
            return h.reply(404, {"detail": "Generation not found"})
        if state == "failed":
            return h.reply(200, generation(gid, "failed", failure=cfg["fail_message"]))
        if state == "done":
            return h.reply(200, generation(gid, "completed", video=double.result_url(True)))
        if state == "canceled":  # Luma deletes a cancelled generation
            return h.reply(404, {"detail": "Generation not found"})
        return h.reply(200, generation(gid, {"queued": "queued", "running": "dreaming"}[state]))
    return h.reply(404, {"detail": "Not found"})


if __name__ == "__main__":
    double_base.serve(double, route)
