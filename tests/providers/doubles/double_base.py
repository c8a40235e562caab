"""Shared plumbing of reel's provider protocol test doubles.

A double is a loopback HTTP server that speaks one hosted provider's documented protocol
(its paths, auth header, status words and JSON shapes) so reel's adapters can be tested
without the provider. It is a TEST DOUBLE, never a provider: it serves tiny generated
files and counts what it was asked.

Control (not part of any provider's API): POST /_double/config merges JSON into the
behaviour; GET /_double/state returns the counters and every request seen.
A double of an API that is called with a token obtained elsewhere moves those requests
from "requests" to "token_requests".
Behaviour keys: polls_before_done (int), fail_message (str), never_finish (bool),
submit_429 (int: answer 429 with Retry-After to the first N submissions),
retry_after (int seconds), result (auto|png|mp4|garbage|big; auto = PNG for image models,
MP4 for video models), billed (number or null),
forget_tasks (bool: 404 for every known task, as after the provider's retention),
redirect_to (a base URL: every API request is answered 307 to the same path there),
result_path (a file served as the png/mp4 result instead of a generated one: e.g. a file
carrying its own C2PA manifest, as providers that sign their outputs serve),
hold_until_in_progress (int N: a task stays running until N tasks have been in progress
at once since it was submitted, or hold_seconds (default 10) have passed).
counts.max_in_progress is the most tasks in progress at once: submitted, and not yet
reported finished, failed or canceled by a status answer.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zlib
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def tiny_png(width=64, height=48):
    raw = b"".join(b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 128)) for x in range(width))
                   for y in range(height))

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data +
                struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) +
            chunk(b"IEND", b""))


def tiny_mp4():
    with tempfile.TemporaryDirectory(prefix="reel-double-") as tmp:
        path = os.path.join(tmp, "clip.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        "testsrc=size=64x48:rate=8", "-t", "1", "-pix_fmt", "yuv420p",
                        "-c:v", "libx264", path], check=True)
        with open(path, "rb") as f:
            return f.read()


class Double:
    """State shared by the handler threads."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.config = {"polls_before_done": 1, "fail_message": "", "never_finish": False,
                       "submit_429": 0, "retry_after": 1, "result": "auto", "billed": None,
                       "forget_tasks": False, "hold_until_in_progress": 0, "hold_seconds": 10}
        self.counts = {"submit": 0, "poll": 0, "result": 0, "cancel": 0, "download": 0,
                       "submit_429": 0, "max_in_progress": 0}
        self.in_progress = 0
        self.requests = []
        self.token_requests = []  # a token endpoint's requests, kept apart from the API's
        self.tasks = {}
        self.files = {"png": tiny_png(), "garbage": b"this is not a media file" * 10,
                      "big": b"\0" * (3 << 20)}
        self.base = ""

    def file(self, kind):
        if kind in ("png", "mp4") and self.config.get("result_path"):
            with open(self.config["result_path"], "rb") as f:
                return f.read()
        if kind == "mp4" and "mp4" not in self.files:
            self.files["mp4"] = tiny_mp4()
        return self.files[kind]

    def new_task(self):
        with self.lock:
            tid = "%s-task-%d" % (self.name, len(self.tasks) + 1)
            self.tasks[tid] = {"polls": 0, "canceled": False, "over": False,
                               "at": time.monotonic(), "peak": 0}
            self.in_progress += 1
            self.counts["max_in_progress"] = max(self.counts["max_in_progress"],
                                                 self.in_progress)
            for t in self.tasks.values():
                if not t["over"]:
                    t["peak"] = max(t["peak"], self.in_progress)
            return tid

    def _over(self, t, state):
        """A status answer that ends the task: it is no longer in progress."""
        if not t["over"]:
            t["over"] = True
            self.in_progress -= 1
        return state

    def _held(self, t):
        return (t["peak"] < self.config["hold_until_in_progress"] and
                time.monotonic() - t["at"] < self.config["hold_seconds"])

    def advance(self, tid):
        """Counts a poll; returns queued | running | done | failed | canceled | gone."""
        with self.lock:
            t = self.tasks.get(tid)
            if t is None or self.config["forget_tasks"]:
                return "gone"
            if t["canceled"]:
                return self._over(t, "canceled")
            t["polls"] += 1
            if self.config["never_finish"] or self._held(t):
                return "running"
            if t["polls"] <= self.config["polls_before_done"]:
                return "queued" if t["polls"] == 1 else "running"
            return self._over(t, "failed" if self.config["fail_message"] else "done")

    def take_429(self):
        """True when this submission is to be answered 429 (counted as such)."""
        with self.lock:
            if self.counts["submit_429"] < self.config["submit_429"]:
                self.counts["submit_429"] += 1
                return True
            self.counts["submit"] += 1
            return False

    def count(self, what):
        with self.lock:
            self.counts[what] += 1
            return dict(self.config)

    def mark_canceled(self, tid):
        with self.lock:
            self.counts["cancel"] += 1
            if tid in self.tasks:
                self.tasks[tid]["canceled"] = True

    def result_url(self, video):
        kind = self.config["result"]
        if kind == "auto":
            kind = "mp4" if video else "png"
        return "%s/files/result.%s" % (self.base, "bin" if kind in ("garbage", "big") else kind)


def make_handler(double, route):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, the body waits for the
        # client's delayed ACK (~40 ms a request), which would be timed as reel's.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, status, body, ctype="application/json", headers=None):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/_double/config" and method == "POST":
                with double.lock:
                    double.config.update(json.loads(body or b"{}"))
                return self.reply(200, double.config)
            if self.path == "/_double/state":
                with double.lock:
                    return self.reply(200, {"counts": double.counts,
                                            "requests": double.requests,
                                            "token_requests": double.token_requests})
            if self.path.startswith("/files/"):
                with double.lock:
                    double.counts["download"] += 1
                ext = self.path.rsplit(".", 1)[-1]
                kind = ext if ext in ("png", "mp4") else double.config["result"]
                ctype = {"png": "image/png", "mp4": "video/mp4"}.get(kind,
                                                                     "application/octet-stream")
                return self.reply(200, double.file(kind), ctype)
            if double.config.get("redirect_to"):  # an API answer that points elsewhere
                return self.reply(307, b"", "text/plain",
                                  {"Location": double.config["redirect_to"] + self.path})
            with double.lock:
                double.requests.append({"method": method, "path": self.path,
                                        "headers": dict(self.headers.items()),
                                        "body": body.decode("utf-8", "replace")})
            route(self, method, body)

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_PUT(self):
            self.handle_any("PUT")

        def do_DELETE(self):
            self.handle_any("DELETE")

    return Handler


def serve(double, route):
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(double, route))
    double.base = "http://127.0.0.1:%d" % server.server_address[1]
    print(server.server_address[1], flush=True)  # the test reads the port from here
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
