#!/usr/bin/env python3
"""TEST DOUBLE of Kling's video API (a stored copy of Kling's image-to-video API reference
page; answer models in ComfyUI comfy_api_nodes/apis/kling.py; the token's claims as
third-party guides and clients describe Kling's authentication section).

  POST /v1/videos/text2video  {model_name, prompt, negative_prompt, duration, mode,
                               aspect_ratio}
  POST /v1/videos/image2video {model_name, image, prompt, negative_prompt, duration, mode}
       -> {code: 0, message, request_id, data: {task_id, task_status: submitted}}
  GET  /v1/videos/{text2video|image2video}/{task_id}
       -> {code: 0, data: {task_id, task_status: submitted|processing|succeed|failed,
                           task_status_msg, task_result: {videos: [{id, url, duration}]}}}
There is no cancel endpoint.

Auth: "Authorization: Bearer <JWT>", HS256 over header and payload, keyed with the secret
key (DOUBLE_KEY); the payload's iss must be the access key (DOUBLE_ACCESS_KEY), nbf not in
the future and exp not passed. Anything else is answered 401. The image is base64 without
a data: prefix, which the double checks by decoding it.

Assumptions, not documented where we read: the business codes in error answers (1000 for
authentication, 1200 for a bad request, 1302 for a rate limit, 1203 for an unknown task),
404 for an unknown task, and Retry-After on 429. Behaviour key `code_error` (str): answer
the next submission HTTP 200 with code 1301 and that message.
"""
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

SECRET = os.environ.get("DOUBLE_KEY", "")
ACCESS = os.environ.get("DOUBLE_ACCESS_KEY", "")
MODELS = {"kling-v1", "kling-v1-6", "kling-v2-master", "kling-v2-1", "kling-v2-1-master"}
RATIOS = {"16:9", "9:16", "1:1"}
double = double_base.Double("kling")
double.config["code_error"] = ""


def unb64url(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def token_problem(header):
    """Why the Authorization header is not a valid token, or None."""
    if not header.startswith("Bearer "):
        return "missing bearer token"
    parts = header[len("Bearer "):].split(".")
    if len(parts) != 3:
        return "not a JWT"
    try:
        head = json.loads(unb64url(parts[0]))
        claims = json.loads(unb64url(parts[1]))
        sig = unb64url(parts[2])
    except (ValueError, binascii.Error):
        return "undecodable JWT"
    if head.get("alg") != "HS256" or head.get("typ") != "JWT":
        return "header must be {alg: HS256, typ: JWT}"
    want = hmac.new(SECRET.encode(), (parts[0] + "." + parts[1]).encode(), hashlib.sha256)
    if not hmac.compare_digest(sig, want.digest()):
        return "signature does not verify"
    now = time.time()
    if claims.get("iss") != ACCESS:
        return "unknown access key"
    if not isinstance(claims.get("nbf"), int) or claims["nbf"] > now:
        return "token not yet valid"
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        return "token expired"
    return None


def answer(h, status, data=None, code=0, message="SUCCEED", headers=None):
    h.reply(status, {"code": code, "message": message, "request_id": "req-1", "data": data},
            headers=headers)


def submit(h, kind, body):
    if double.take_429():
        return answer(h, 429, code=1302, message="request too frequent",
                      headers={"Retry-After": str(double.config["retry_after"])})
    with double.lock:
        code_error = double.config["code_error"]
        double.config["code_error"] = ""
    if code_error:
        return answer(h, 200, code=1301, message=code_error)
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        return answer(h, 400, code=1200, message="invalid JSON")
    if req.get("model_name") not in MODELS:
        return answer(h, 400, code=1200, message="model_name is invalid")
    if req.get("duration", "5") not in ("5", "10"):
        return answer(h, 400, code=1200, message="duration must be \"5\" or \"10\"")
    if req.get("mode", "std") not in ("std", "pro"):
        return answer(h, 400, code=1200, message="mode must be std or pro")
    if kind == "text2video" and req.get("aspect_ratio", "16:9") not in RATIOS:
        return answer(h, 400, code=1200, message="aspect_ratio is invalid")
    if kind == "image2video":
        try:
            base64.b64decode(req.get("image", ""), validate=True)
        except (ValueError, binascii.Error):
            return answer(h, 400, code=1200, message="image must be a URL or bare base64")
        if not req.get("image"):
            return answer(h, 400, code=1200, message="image is required")
    tid = double.new_task()
    return answer(h, 200, {"task_id": tid, "task_status": "submitted",
                           "created_at": 1765100000000, "updated_at": 1765100000000})


def status(h, tid):
    cfg = double.count("poll")
    state = double.advance(tid)
    if state == "gone":
        return answer(h, 404, code=1203, message="task not found")
    data = {"task_id": tid, "created_at": 1765100000000, "updated_at": 1765100000000}
    if state == "failed":
        data.update(task_status="failed", task_status_msg=cfg["fail_message"])
    elif state == "done":
        data.update(task_status="succeed", task_status_msg="",
                    task_result={"videos": [{"id": "v1", "url": double.result_url(True),
                                             "duration": "5"}]})
    else:
        data["task_status"] = "submitted" if state == "queued" else "processing"
    return answer(h, 200, data)


def route(h, method, body):
    problem = token_problem(h.headers.get("Authorization", ""))
    if problem:
        return answer(h, 401, code=1000, message="authentication failed: " + problem)
    m = re.fullmatch(r"/v1/videos/(text2video|image2video)", h.path)
    if m and method == "POST":
        return submit(h, m.group(1), body)
    m = re.fullmatch(r"/v1/videos/(text2video|image2video)/([\w-]+)", h.path)
    if m and method == "GET":
        return status(h, m.group(2))
    return answer(h, 404, code=1200, message="not found")


if __name__ == "__main__":
    double_base.serve(double, route)
