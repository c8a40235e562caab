#!/usr/bin/env python3
"""TEST DOUBLE of Black Forest Labs' FLUX API (docs.bfl.ml: the FLUX1.1 [pro] page and its
polling example).

  POST /v1/{model} {prompt, width, height, seed, output_format} -> {id, polling_url}
  GET  /v1/get_result?id={id} -> {id, status: Pending|Ready|Error|Request Moderated|
                                  Content Moderated|Task not found, result: {sample}, progress}
There is no cancel endpoint. Auth: "x-key: <BFL_API_KEY>" (403 otherwise).
polling_url names a regional host, as BFL's answers do, never this server: reel must
rewrite it to the overridden base URL to reach the double. An unknown task is answered
404 with status "Task not found" (an assumption: the code is not documented).
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
REGIONAL = "https://api.us1.bfl.ai"
double = double_base.Double("bfl")


def route(h, method, body):
    if h.headers.get("x-key") != KEY:
        return h.reply(403, {"detail": "Not authenticated - Invalid Authentication"})
    m = re.fullmatch(r"/v1/get_result\?id=([\w-]+)", h.path)
    if m and method == "GET":
        tid = m.group(1)
        cfg = double.count("poll")
        state = double.advance(tid)
        if state == "gone":
            return h.reply(404, {"id": tid, "status": "Task not found", "result": None})
        if state == "failed":
            return h.reply(200, {"id": tid, "status": "Error", "result": None,
                                 "details": {"error": cfg["fail_message"]}})
        if state == "done":
            return h.reply(200, {"id": tid, "status": "Ready", "progress": 1.0,
                                 "result": {"sample": double.result_url(False),
                                            "prompt": "", "seed": 7}})
        return h.reply(200, {"id": tid, "status": "Pending", "result": None,
                             "progress": 0.0 if state == "queued" else 0.5})
    m = re.fullmatch(r"/v1/([\w.-]+)", h.path)
    if m and method == "POST":
        if double.take_429():
            return h.reply(429, {"detail": "You have exceeded the number of active tasks."},
                           headers={"Retry-After": str(double.config["retry_after"])})
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return h.reply(422, {"detail": [{"loc": ["body"], "msg": "invalid JSON"}]})
        for side in ("width", "height"):
            v = req.get(side, 1024)
            if not isinstance(v, int) or v % 32 or not 256 <= v <= 1440:
                return h.reply(422, {"detail": [{"loc": ["body", side],
                                                 "msg": "must be a multiple of 32 in 256..1440"}]})
        tid = double.new_task()
        return h.reply(200, {"id": tid,
                             "polling_url": "%s/v1/get_result?id=%s" % (REGIONAL, tid)})
    return h.reply(404, {"detail": "Not Found"})


if __name__ == "__main__":
    double_base.serve(double, route)
