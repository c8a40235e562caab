#!/usr/bin/env python3
"""TEST DOUBLE of fal's queue API (docs: fal.ai Queue API; fal_client's queue calls).

  POST /{model_id}                         -> {request_id, response_url, status_url, cancel_url}
  GET  /{owner}/{alias}/requests/{id}/status -> {status: IN_QUEUE|IN_PROGRESS|COMPLETED, ...}
  GET  /{owner}/{alias}/requests/{id}      -> the model's output, or an error detail
  PUT  /{owner}/{alias}/requests/{id}/cancel -> 202 {status: CANCELLATION_REQUESTED}
Auth: "Authorization: Key <FAL_KEY>"; anything else is 401 as fal answers it.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
double = double_base.Double("fal")


def route(h, method, body):
    if h.headers.get("Authorization") != "Key " + KEY:
        return h.reply(401, {"detail": "Unauthorized"})
    m = re.fullmatch(r"/([\w.-]+/[\w.-]+)/requests/([\w-]+)(/status|/cancel)?(\?.*)?", h.path)
    if m:
        app, rid, tail = m.group(1), m.group(2), m.group(3)
        base = "%s/%s/requests/%s" % (double.base, app, rid)
        if tail == "/cancel" and method == "PUT":
            with double.lock:
                double.counts["cancel"] += 1
                if rid in double.tasks:
                    double.tasks[rid]["canceled"] = True
            return h.reply(202, {"status": "CANCELLATION_REQUESTED"})
        if tail == "/status":
            with double.lock:
                double.counts["poll"] += 1
            state = double.advance(rid)
            if state == "gone":
                return h.reply(404, {"detail": "Request not found"})
            words = {"queued": "IN_QUEUE", "running": "IN_PROGRESS"}
            reply = {"status": words.get(state, "COMPLETED"), "request_id": rid,
                     "response_url": base, "status_url": base + "/status",
                     "cancel_url": base + "/cancel"}
            if state == "queued":
                reply["queue_position"] = 2
            return h.reply(200, reply)
        with double.lock:
            double.counts["result"] += 1
            cfg = dict(double.config)
        if cfg["fail_message"]:
            return h.reply(422, {"detail": [{"loc": ["body", "prompt"],
                                             "msg": cfg["fail_message"], "type": "value_error"}]})
        if "video" in app:
            return h.reply(200, {"video": {"url": double.result_url(True),
                                           "content_type": "video/mp4"}})
        return h.reply(200, {"images": [{"url": double.result_url(False), "width": 64, "height": 48,
                                         "content_type": "image/png"}], "seed": 1})
    if method == "POST":
        with double.lock:
            if double.counts["submit_429"] < double.config["submit_429"]:
                double.counts["submit_429"] += 1
                return h.reply(429, {"detail": "Too many requests"},
                               headers={"Retry-After": str(double.config["retry_after"])})
            double.counts["submit"] += 1
        try:
            json.loads(body or b"{}")
        except ValueError:
            return h.reply(422, {"detail": "body is not JSON"})
        rid = double.new_task()
        app = "/".join(h.path.strip("/").split("/")[:2])
        base = "%s/%s/requests/%s" % (double.base, app, rid)
        return h.reply(200, {"request_id": rid, "response_url": base,
                             "status_url": base + "/status", "cancel_url": base + "/cancel"})
    return h.reply(405, {"detail": "Method not allowed"})


if __name__ == "__main__":
    double_base.serve(double, route)
