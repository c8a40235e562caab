#!/usr/bin/env python3
"""TEST DOUBLE of Google's Gemini API for Veo (googleapis/python-genai: models.py
generate_videos and its request converters, operations.py; the Gemini API video guide).

  POST /v1beta/models/{model}:predictLongRunning
       {instances: [{prompt, image: {bytesBase64Encoded, mimeType}}],
        parameters: {aspectRatio, durationSeconds, negativePrompt, resolution, sampleCount}}
       -> {name: "models/{model}/operations/{id}"}
  GET  /v1beta/models/{model}/operations/{id}
       -> {name, done, error: {code, message, status},
           response: {generateVideoResponse: {generatedSamples: [{video: {uri}}],
                                             raiMediaFilteredReasons}}}
  GET  /v1beta/files/{id}:download?alt=media -> the video (the API key is required)
Auth: "x-goog-api-key: <GEMINI_API_KEY>" on every request, the file download included
(400 API_KEY_INVALID otherwise). No cancel endpoint. Errors are {error: {code, message,
status}}. A seed is refused: the SDK sends none outside Vertex (the exact answer is an
assumption).

A second loopback server stands for the storage host a download may be redirected to:
behaviour key `redirect_download` ("" | "same" | "other") makes the file download answer
302 to another file on this server (which wants the key too) or to that other origin, which records the headers it was
sent (paths /storage/...). Assumptions, not documented where we read: Retry-After on 429,
404 for an unknown operation, and the redirect itself.
"""
import base64
import binascii
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import double_base  # noqa: E402

KEY = os.environ.get("DOUBLE_KEY", "")
MODELS = {"veo-3.0-generate-001": {8}, "veo-3.0-fast-generate-001": {8},
          "veo-2.0-generate-001": {5, 6, 7, 8}}
double = double_base.Double("veo")
double.config["redirect_download"] = ""
storage = {"base": ""}


def error(h, code, status, message, headers=None):
    h.reply(code, {"error": {"code": code, "message": message, "status": status}},
            headers=headers)


def result_bytes():
    kind = double.config["result"]
    return double.file("mp4" if kind == "auto" else kind)


def submit(h, model, body):
    if double.take_429():
        return error(h, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.",
                     headers={"Retry-After": str(double.config["retry_after"])})
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        return error(h, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    if model not in MODELS:
        return error(h, 404, "NOT_FOUND", "models/%s is not found" % model)
    inst = (req.get("instances") or [{}])[0]
    par = req.get("parameters") or {}
    if not inst.get("prompt"):
        return error(h, 400, "INVALID_ARGUMENT", "instances[0].prompt is required")
    if "image" in inst:
        img = inst["image"]
        try:
            base64.b64decode(img.get("bytesBase64Encoded", ""), validate=True)
        except (ValueError, binascii.Error):
            return error(h, 400, "INVALID_ARGUMENT", "image.bytesBase64Encoded is not base64")
        if img.get("mimeType") not in ("image/png", "image/jpeg"):
            return error(h, 400, "INVALID_ARGUMENT", "image.mimeType is not supported")
    if par.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
        return error(h, 400, "INVALID_ARGUMENT", "aspectRatio must be 16:9 or 9:16")
    if par.get("durationSeconds", 8) not in MODELS[model]:
        return error(h, 400, "INVALID_ARGUMENT", "durationSeconds is out of range")
    if "seed" in par:
        return error(h, 400, "INVALID_ARGUMENT", "seed isn't supported by this model.")
    tid = double.new_task()
    return h.reply(200, {"name": "models/%s/operations/%s" % (model, tid)})


def operation(h, model, tid):
    cfg = double.count("poll")
    state = double.advance(tid)
    name = "models/%s/operations/%s" % (model, tid)
    if state == "gone":
        return error(h, 404, "NOT_FOUND", "Operation not found")
    if state == "failed":
        return h.reply(200, {"name": name, "done": True,
                             "error": {"code": 3, "message": cfg["fail_message"]}})
    if state == "done":
        uri = "%s/v1beta/files/%s:download?alt=media" % (double.base, tid)
        return h.reply(200, {"name": name, "done": True, "response": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                     "PredictLongRunningResponse",
            "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}})
    return h.reply(200, {"name": name})


def download(h):
    with double.lock:
        redirect = double.config["redirect_download"]
    if redirect == "same" and not h.path.startswith("/v1beta/files/copy:"):
        return h.reply(302, b"", headers={"Location": "/v1beta/files/copy:download?alt=media"})
    if redirect == "other":
        return h.reply(302, b"", headers={"Location": storage["base"] + "/storage/result.mp4"})
    with double.lock:
        double.counts["download"] += 1
    return h.reply(200, result_bytes(), "video/mp4")


def route(h, method, body):
    if h.headers.get("x-goog-api-key") != KEY:
        return error(h, 400, "INVALID_ARGUMENT",
                     "API key not valid. Please pass a valid API key.")
    m = re.fullmatch(r"/v1beta/models/([\w.-]+):predictLongRunning", h.path)
    if m and method == "POST":
        return submit(h, m.group(1), body)
    m = re.fullmatch(r"/v1beta/models/([\w.-]+)/operations/([\w-]+)", h.path)
    if m and method == "GET":
        return operation(h, m.group(1), m.group(2))
    if re.fullmatch(r"/v1beta/files/[\w-]+:download\?alt=media", h.path) and method == "GET":
        return download(h)
    return error(h, 404, "NOT_FOUND", "Not found")


class Storage(BaseHTTPRequestHandler):
    """The other origin: serves the video to anyone, and records what it was sent."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with double.lock:
            double.requests.append({"method": "GET", "path": self.path,
                                    "headers": dict(self.headers.items()), "body": ""})
            double.counts["download"] += 1
        data = result_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    other = ThreadingHTTPServer(("127.0.0.1", 0), Storage)
    storage["base"] = "http://127.0.0.1:%d" % other.server_address[1]
    threading.Thread(target=other.serve_forever, daemon=True).start()
    double_base.serve(double, route)
