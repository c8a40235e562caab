#!/usr/bin/python3
"""Black-box tests of `reel serve` (docs/api.md): the real binary on loopback, real SQLite
store, real workers and models, probed over raw HTTP. Run by CTest (server_e2e label) with
REEL_BIN pointing at build/bin/reel; needs ffprobe."""
import http.client
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import zlib

REEL = os.environ.get("REEL_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin/reel"))
DOCS = os.environ.get("REEL_DOCS", os.path.join(os.path.dirname(__file__), "../../docs"))

# A small studio film: two stills and a one-second 8-frame clip at 160x96.
FILM = {"pipeline": {"reel": 1, "name": "e2e", "seed": 7, "output": "film", "steps": [
    {"id": "character", "task": "text_to_image", "model": "studio-character",
     "params": {"prompt": "red robot", "width": 128, "height": 128}},
    {"id": "environment", "task": "text_to_image", "model": "studio-environment",
     "params": {"prompt": "surface of mars", "width": 160, "height": 96}},
    {"id": "film", "task": "image_to_video", "model": "studio-animator",
     "inputs": {"image": "character", "background": "environment"},
     "params": {"motion": "subtle head turn", "duration": 1, "fps": 8, "width": 160,
                "height": 96}}]}}


def sleep_job(ms, seed=1):
    return {"task": "text_to_image", "model": "diag-sleep", "seed": seed,
            "params": {"prompt": "x", "extra": {"ms": ms}}}


class Server:
    """One `reel serve` process; the port comes from its 'listening on' line."""

    def __init__(self, store, home, args=(), workers=1, env=None):
        self.store, self.home, self.args, self.workers = store, home, list(args), workers
        self.env = dict(env or {})
        self.proc = None

    def start(self):
        env = dict(os.environ, REEL_HOME=self.home, REEL_DIAGNOSTIC_MODELS="1", **self.env)
        # stderr to a file: an unread pipe would block a chatty server.
        self.log = open(os.path.join(self.home, "serve-%d.log" % time.monotonic_ns()), "w+")
        self.proc = subprocess.Popen(
            [REEL, "serve", "--store", self.store, "--listen", "127.0.0.1:0",
             "--workers", str(self.workers)] + self.args,
            stdout=subprocess.PIPE, stderr=self.log, env=env, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        if not ready:
            raise RuntimeError("reel serve printed no address in 20 s")
        line = self.proc.stdout.readline()
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            self.log.seek(0)
            raise RuntimeError("unexpected first line: %r, stderr: %s" % (line, self.log.read()))
        self.port = int(m.group(1))
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)
        if self.proc:
            self.proc.stdout.close()
            self.log.close()

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def request(self, method, path, body=None, headers=None, key=None, timeout=30):
        h = dict(headers or {})
        if key:
            h["Authorization"] = "Bearer " + key
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, method, path, body=None, headers=None, key=None):
        status, h, data = self.request(method, path, body, headers, key)
        return status, (json.loads(data) if data else None), h

    def healthy(self):
        t = time.monotonic()
        status, _, _ = self.request("GET", "/healthz", timeout=5)
        return status == 200 and time.monotonic() - t < 1.0


def create_key(store, home, *flags):
    out = subprocess.run([REEL, "keys", "create", "--store", store, "--json"] + list(flags),
                         check=True, capture_output=True, text=True,
                         env=dict(os.environ, REEL_HOME=home)).stdout
    return json.loads(out)


def wait_status(server, job_id, key, statuses, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job, _ = server.json("GET", "/v1/jobs/" + job_id, key=key)
        if status == 200 and job["status"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError("job %s did not reach %s in %s s" % (job_id, statuses, timeout))


def read_sse(server, job_id, key, last_event_id=None, timeout=30):
    """Reads a job's event stream until the server closes it; returns [(id, event, data)]."""
    h = {"Authorization": "Bearer " + key}
    if last_event_id is not None:
        h["Last-Event-ID"] = str(last_event_id)
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    c.request("GET", "/v1/jobs/%s/events" % job_id, headers=h)
    r = c.getresponse()
    assert r.status == 200, r.status
    assert r.getheader("Content-Type").startswith("text/event-stream")
    text = r.read().decode()
    c.close()
    events = []
    for block in text.split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            if line.startswith(":") or not line:
                continue
            name, _, value = line.partition(": ")
            assert name not in fields, "field %s twice in one event (data must be one line)" % name
            fields[name] = value
        if "event" in fields:
            events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return events


def tiny_png(width=20, height=16):
    raw = b"".join(b"\x00" + bytes([x * 10 % 256, y * 12 % 256, 90]) * width
                   for y in range(height) for x in [0])
    raw = b"".join(b"\x00" + b"".join(bytes([x * 10 % 256, y * 12 % 256, 90]) for x in range(width))
                   for y in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class HttpApi(unittest.TestCase):
    """One server for the functional tests (workers=1, short header timeout for slowloris)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="reel-e2e-")
        cls.home = cls.tmp.name
        cls.store = os.path.join(cls.home, "server.sqlite")
        cls.key = create_key(cls.store, cls.home, "--name", "main", "--budget", "5")["secret"]
        # The operator prices one hosted model the table does not know (docs/providers.md).
        prices = os.path.join(cls.home, "prices.json")
        with open(prices, "w") as f:
            json.dump({"fal:someone/priced-model": {"per": "image", "usd": 0.03,
                                                    "source": "test invoice"}}, f)
        cls.server = Server(cls.store, cls.home, ["--provider-prices", prices,
                                                  "--header-timeout-ms", "1500", "--lease-ms", "3000",
                                                  "--sse-heartbeat-ms", "300", "--max-streams-per-key", "3",
                                                  "--idle-timeout-ms", "1500",
                                                  "--shutdown-grace-ms", "2000"],
                            # fal models can run (their pre-flight check passes); no test
                            # here lets one reach fal, so the key is never sent.
                            env={"FAL_KEY": "e2e-placeholder-never-sent"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def tearDown(self):
        self.assertIsNone(self.server.proc.poll(), "the server died")
        self.assertTrue(self.server.healthy(), "/healthz slow or failing after the test")

    def assertProblem(self, status, data, expected_status, slug):
        self.assertEqual(status, expected_status, data)
        doc = json.loads(data) if isinstance(data, (bytes, str)) else data
        self.assertEqual(doc["type"], "https://reel.dev/problems/" + slug, doc)
        self.assertEqual(doc["status"], expected_status)

    # --- the happy path ---
    def test_submit_events_download_ffprobe(self):
        s = self.server
        status, job, h = s.json("POST", "/v1/jobs", FILM, key=self.key)
        self.assertEqual(status, 202, job)
        self.assertEqual(job["status"], "queued")
        self.assertEqual([p["step"] for p in job["plan"]], ["character", "environment", "film"])
        self.assertGreater(job["estimate_usd"], 0)
        events = read_sse(s, job["id"], self.key)
        kinds = [e[1] for e in events]
        self.assertEqual(kinds[0], "queued")
        self.assertIn("started", kinds)
        steps = [e[2]["data"] for e in events if e[1] == "step"]
        self.assertEqual({d["step"] for d in steps if d["state"] == "finished"},
                         {"character", "environment", "film"})
        self.assertEqual(kinds[-1], "succeeded")
        self.assertEqual([e[0] for e in events], list(range(1, len(events) + 1)))
        # Resume after event 3: the stream starts at 4 and ends the same way.
        resumed = read_sse(s, job["id"], self.key, last_event_id=3)
        self.assertEqual(resumed[0][0], 4)
        self.assertEqual(resumed, events[3:])
        status, done, _ = s.json("GET", "/v1/jobs/" + job["id"], key=self.key)
        self.assertEqual(done["status"], "succeeded")
        film = done["result"]["artifacts"]["film"]
        self.assertEqual(film["media_type"], "video/mp4")
        status, h, mp4 = s.request("GET", film["url"], key=self.key)
        self.assertEqual(status, 200)
        self.assertEqual(h["etag"], '"%s-c2pa"' % film["hash"])  # the signed copy
        self.assertIs(film["signed"], True)
        with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
            f.write(mp4)
            f.flush()
            probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams",
                                    "v:0", "-show_entries", "stream=width,height,nb_read_frames",
                                    "-of", "csv=p=0", f.name], capture_output=True, text=True)
        self.assertEqual(probe.stdout.strip(), "160,96,8", probe.stderr)
        # One range → 206 with exactly those bytes; two ranges or past the end → 416.
        status, h, part = s.request("GET", film["url"], headers={"Range": "bytes=10-19"}, key=self.key)
        self.assertEqual((status, part), (206, mp4[10:20]))
        self.assertEqual(h["content-range"], "bytes 10-19/%d" % len(mp4))
        status, h, part = s.request("GET", film["url"], headers={"Range": "bytes=-5"}, key=self.key)
        self.assertEqual((status, part), (206, mp4[-5:]))
        for bad in ("bytes=0-1,4-5", "bytes=%d-" % len(mp4), "bytes=a-b", "items=0-1"):
            status, h, data = s.request("GET", film["url"], headers={"Range": bad}, key=self.key)
            self.assertProblem(status, data, 416, "range-not-satisfiable")
        status, _, _ = s.request("GET", film["url"], headers={"If-None-Match": '"%s-c2pa"' % film["hash"]}, key=self.key)
        self.assertEqual(status, 304)

    def test_downloads_carry_content_credentials_both_verifiers_accept(self):
        s = self.server
        film_job = json.loads(json.dumps(FILM))
        film_job["pipeline"]["seed"] = 71
        status, job, _ = s.json("POST", "/v1/jobs", film_job, key=self.key)
        self.assertEqual(status, 202, job)
        done = wait_status(s, job["id"], self.key, {"succeeded", "failed"}, timeout=60)
        self.assertEqual(done["status"], "succeeded", done)
        node_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../provenance/node")
        self.assertTrue(os.path.isdir(os.path.join(node_dir, "node_modules/@contentauth/c2pa-wasm")),
                        "the Node C2PA verifier is not installed (scripts/setup runs npm ci)")
        for step, mime, creator in (("film", "video/mp4", "studio-animator"),
                                    ("character", "image/png", "studio-character")):
            a = done["result"]["artifacts"][step]
            status, _, data = s.request("GET", a["url"], key=self.key)
            self.assertEqual(status, 200)
            with tempfile.NamedTemporaryFile(suffix=".mp4" if step == "film" else ".png") as f:
                f.write(data)
                f.flush()
                v = subprocess.run([REEL, "verify", "--json", f.name], capture_output=True, text=True,
                                   env=dict(os.environ, REEL_HOME=self.home))
                self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
                summary = json.loads(v.stdout)
                summary = summary.get("summary", summary)
                models = [m["id"] for m in summary["models"]]
                self.assertEqual(models[0], creator, summary)  # the step's own model creates it
                if step == "film":  # its lineage: both stills' models, with their declarations
                    self.assertEqual(set(models), {"studio-animator", "studio-character",
                                                   "studio-environment"})
                    self.assertIn("training_data", summary["models"][0])
                n = subprocess.run(["node", os.path.join(node_dir, "verify.mjs"), f.name, mime],
                                   capture_output=True, text=True)
                self.assertEqual(json.loads(n.stdout)["state"], "Valid", n.stdout + n.stderr)

    def test_a_studio_prompt_it_cannot_draw_is_refused_before_queueing(self):
        s = self.server
        k = create_key(self.store, self.home, "--budget", "10")["secret"]
        _, before, _ = s.json("GET", "/v1/usage", key=k)
        perfume = {"task": "text_to_image", "model": "studio-character",
                   "params": {"prompt": "product shot of a perfume bottle", "width": 64, "height": 36}}
        for path in ("/v1/jobs", "/v1/estimates"):
            status, _, data = s.request("POST", path, perfume, key=k)
            self.assertProblem(status, data, 422, "invalid-request")
            detail = json.loads(data)["detail"]
            for part in ("perfume", "docs/studio.md", "reel models", "extra.substitute"):
                self.assertIn(part, detail)
        _, listing, _ = s.json("GET", "/v1/jobs", key=k)
        self.assertEqual(listing["jobs"], [])
        _, after, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual(before, after)
        # Asking for the closest match is a job like any other.
        perfume["params"]["extra"] = {"substitute": True}
        status, _, data = s.request("POST", "/v1/estimates", perfume, key=k)
        self.assertEqual(status, 200, data)

    def test_a_policy_refuses_a_job_before_queueing_and_reserves_nothing(self):
        s = self.server
        k = create_key(self.store, self.home, "--budget", "10")["secret"]
        _, before, _ = s.json("GET", "/v1/usage", key=k)
        hosted = {"task": "text_to_image", "model": "fal:someone/undisclosed-model",
                  "params": {"prompt": "a mug"}, "policy": "commercial-safe"}
        for path in ("/v1/jobs", "/v1/estimates"):
            status, _, data = s.request("POST", path, hosted, key=k)
            self.assertProblem(status, data, 422, "policy-refused")
            self.assertIn("fal:someone/undisclosed-model", json.loads(data)["detail"])
        _, listing, _ = s.json("GET", "/v1/jobs", key=k)
        self.assertEqual(listing["jobs"], [])
        _, after, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual(before, after)
        status, _, data = s.request("POST", "/v1/jobs", dict(hosted, policy="lenient"), key=k)
        self.assertProblem(status, data, 422, "invalid-request")
        self.assertIn("commercial-safe", json.loads(data)["detail"])
        # The same policy lets a job of declared models through.
        studio = json.loads(json.dumps(FILM))
        studio["pipeline"]["seed"] = 73  # not FILM's: other tests need FILM uncached
        studio["policy"] = "commercial-safe"
        status, job, _ = s.json("POST", "/v1/jobs", studio, key=k)
        self.assertEqual(status, 202, job)

    def test_a_job_whose_model_cannot_run_here_is_refused_before_anything_runs(self):
        s = self.server
        k = create_key(self.store, self.home, "--budget", "10")["secret"]
        _, before, _ = s.json("GET", "/v1/usage", key=k)
        # A still, then Wan animating it: this server has no Wan weights.
        body = {"pipeline": {"reel": 1, "name": "wan", "steps": [
            {"id": "hero", "task": "text_to_image", "model": "studio-character",
             "params": {"prompt": "red robot", "width": 128, "height": 128}},
            {"id": "film", "task": "image_to_video", "model": "wan2.2-ti2v-5b",
             "inputs": {"image": "hero"}, "params": {"motion": "walks", "duration": 1}}]}}
        for path in ("/v1/jobs", "/v1/estimates"):
            status, _, data = s.request("POST", path, body, key=k)
            self.assertProblem(status, data, 503, "model-unavailable")
            detail = json.loads(data)["detail"]
            self.assertIn("step 'film'", detail)
            self.assertIn("weights:Wan2.2-TI2V-5B", detail)
            self.assertNotIn(self.home, detail)  # the operator's reason names server paths
            self.assertNotIn("REEL_MODELS", detail)
        _, listing, _ = s.json("GET", "/v1/jobs", key=k)
        self.assertEqual(listing["jobs"], [])
        _, after, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual(before, after)

    def test_unknown_params_and_extra_keys_are_refused_naming_the_allowed_ones(self):
        s = self.server
        k = create_key(self.store, self.home, "--budget", "10")["secret"]
        _, before, _ = s.json("GET", "/v1/usage", key=k)
        for where, value, words in (
                ("params", {"bogus": 1}, ["unknown param 'bogus'", "allowed: motion, duration"]),
                ("extra", {"bogus_key": 1},
                 ["studio-animator: unknown extra key 'bogus_key'; allowed: ambient_weather"])):
            body = json.loads(json.dumps(FILM))
            film = body["pipeline"]["steps"][2]["params"]
            if where == "params":
                film.update(value)
            else:
                film["extra"] = value
            for path in ("/v1/jobs", "/v1/estimates"):
                status, _, data = s.request("POST", path, body, key=k)
                self.assertProblem(status, data, 422, "invalid-request")
                detail = json.loads(data)["detail"]
                self.assertIn("step 'film'", detail)
                for w in words:
                    self.assertIn(w, detail)
        _, listing, _ = s.json("GET", "/v1/jobs", key=k)
        self.assertEqual(listing["jobs"], [])
        _, after, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual(before, after)

    def test_estimates_say_where_each_figure_comes_from(self):
        k = create_key(self.store, self.home)["secret"]
        status, est, _ = self.server.json("POST", "/v1/estimates", FILM, key=k)
        self.assertEqual(status, 200, est)
        self.assertEqual([p["estimate_source"] for p in est["plan"]], ["measured"] * 3)
        hosted = {"task": "text_to_image", "model": "fal:someone/priced-model",
                  "params": {"prompt": "a mug"}}
        status, est, _ = self.server.json("POST", "/v1/estimates", hosted, key=k)
        self.assertEqual(status, 200, est)
        self.assertEqual(est["plan"][0]["estimate_source"], "price-rule")

    def test_models_say_whether_they_can_run_without_naming_server_paths(self):
        k = create_key(self.store, self.home)["secret"]
        status, data, _ = self.server.json("GET", "/v1/models", key=k)
        self.assertEqual(status, 200)
        cards = {m["id"]: m for m in data["models"]}
        self.assertIn("studio-character", cards)
        self.assertIn("wan2.1-t2v-1.3b", cards)
        self.assertIs(cards["wan2.1-t2v-1.3b"]["available"], False)
        # Structured: whether it can run and what it needs, never the operator's reason
        # (which names the server's folders).
        self.assertEqual(cards["wan2.1-t2v-1.3b"]["availability"],
                         {"available": False, "needs": ["weights:Wan2.1-T2V-1.3B"]})
        self.assertIs(cards["studio-character"]["availability"]["available"], True)
        self.assertNotIn("REEL_MODELS", json.dumps(data))
        for card in cards.values():
            self.assertNotIn("reason", card["availability"])

    def test_sse_heartbeats_while_idle(self):
        s = self.server
        k = create_key(self.store, self.home)["secret"]
        # Queued behind a blocker on the single worker: the stream has nothing to say for ~1.5 s.
        _, b, _ = s.json("POST", "/v1/jobs", sleep_job(1500, seed=4), key=k)
        wait_status(s, b["id"], k, {"running"})
        _, job, _ = s.json("POST", "/v1/jobs", sleep_job(10, seed=5), key=k)
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        c.request("GET", "/v1/jobs/%s/events" % job["id"], headers={"Authorization": "Bearer " + k})
        text = c.getresponse().read().decode()
        c.close()
        self.assertIn("\n: keep-alive\n", text)  # --sse-heartbeat-ms 300 in this server
        self.assertTrue(text.rstrip().split("\n\n")[-1].startswith("id: "))
        self.assertIn("event: succeeded", text.rstrip().split("\n\n")[-1])

    def test_prefer_wait_holds_no_store_thread(self):
        s = self.server
        k = create_key(self.store, self.home, "--max-concurrent", "20")["secret"]
        replies = []

        def waiting(i):
            replies.append(s.json("POST", "/v1/jobs", sleep_job(1500, seed=60 + i),
                                  headers={"Prefer": "wait=2"}, key=k)[0])
        threads = [threading.Thread(target=waiting, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        status, usage, _ = s.json("GET", "/v1/usage", key=k)  # a store call
        self.assertEqual(status, 200)
        self.assertLess(time.monotonic() - t0, 0.5, "8 waiting requests stalled the store pool (4 threads)")
        for t in threads:
            t.join(30)
        self.assertEqual(len(replies), 8)
        self.assertTrue(all(r in (201, 202) for r in replies), replies)
        self.assertIn(202, replies)  # one worker: not all 8 finished within 2 s

    def test_event_streams_per_key_are_capped(self):
        s = self.server
        k = create_key(self.store, self.home)["secret"]
        _, job, _ = s.json("POST", "/v1/jobs", sleep_job(2500, seed=70), key=k)
        path = "/v1/jobs/%s/events" % job["id"]
        streams = []
        for _ in range(3):  # --max-streams-per-key 3 in this server
            c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
            c.request("GET", path, headers={"Authorization": "Bearer " + k})
            self.assertEqual(c.getresponse().status, 200)
            streams.append(c)
        status, h, data = s.request("GET", path, key=k)
        self.assertProblem(status, data, 429, "too-many-streams")
        self.assertIn("retry-after", h)
        other = create_key(self.store, self.home)["secret"]
        self.assertEqual(s.request("GET", "/v1/usage", key=other)[0], 200)
        for c in streams:
            c.close()
        wait_status(s, job["id"], k, {"succeeded"})
        time.sleep(0.5)  # the server notices closed streams at its next write
        self.assertEqual(len(read_sse(s, job["id"], k)) > 0, True)

    def test_single_task_shortcut_and_prefer_wait(self):
        body = {"task": "text_to_image", "model": "studio-character", "seed": 3,
                "params": {"prompt": "blue robot", "width": 64, "height": 64}}
        status, job, h = self.server.json("POST", "/v1/jobs", body, headers={"Prefer": "wait=20"},
                                          key=self.key)
        self.assertEqual(status, 201, job)
        self.assertEqual(job["status"], "succeeded")
        art = job["result"]["artifacts"][job["result"]["output"]]
        status, h, png = self.server.request("GET", art["url"], key=self.key)
        self.assertEqual((status, h["content-type"], png[:8]), (200, "image/png", b"\x89PNG\r\n\x1a\n"))

    # --- auth and money ---
    def test_auth_401_403(self):
        s = self.server
        status, _, data = s.request("GET", "/v1/jobs")
        self.assertProblem(status, data, 401, "unauthorized")
        for bad in ("reel_key_0000000000000000_" + "0" * 32, "garbage", ""):
            status, _, data = s.request("GET", "/v1/jobs", key=bad)
            self.assertProblem(status, data, 401, "unauthorized")
        status, _, data = s.request("POST", "/v1/jobs", FILM, headers={"Authorization": "Basic abc"})
        self.assertProblem(status, data, 401, "unauthorized")
        status, _, _ = s.request("GET", "/v1/usage", headers={"Authorization": "bearer " + self.key})
        self.assertEqual(status, 200, "the auth scheme is case-insensitive")
        k = create_key(self.store, self.home, "--name", "doomed")
        self.assertEqual(s.request("GET", "/v1/usage", key=k["secret"])[0], 200)
        subprocess.run([REEL, "keys", "revoke", k["id"], "--store", self.store], check=True,
                       capture_output=True, env=dict(os.environ, REEL_HOME=self.home))
        time.sleep(1.1)  # the server caches a known key for at most 1 s (--auth-cache-ms)
        status, _, data = s.request("GET", "/v1/usage", key=k["secret"])
        self.assertProblem(status, data, 403, "forbidden")
        status, _, data = s.request("POST", "/v1/jobs", FILM, key=k["secret"])
        self.assertProblem(status, data, 403, "forbidden")

    def test_over_budget_402_charges_nothing(self):
        s = self.server
        k = create_key(self.store, self.home, "--budget", "0.000001")["secret"]
        _, before, _ = s.json("GET", "/v1/usage", key=k)
        status, _, data = s.request("POST", "/v1/jobs", FILM, key=k)
        self.assertProblem(status, data, 402, "over-budget")
        _, after, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual(before, after)
        self.assertEqual((after["reserved_usd"], after["spent_usd"], after["jobs_settled"]), (0, 0, 0))
        _, listing, _ = s.json("GET", "/v1/jobs", key=k)
        self.assertEqual(listing["jobs"], [])

    def test_a_key_with_a_budget_may_not_run_an_unpriced_hosted_model(self):
        s = self.server
        k = create_key(self.store, self.home, "--budget", "10")["secret"]
        body = {"task": "text_to_image", "model": "fal:someone/unknown-model",
                "params": {"prompt": "a mug"}}
        for path in ("/v1/jobs", "/v1/estimates"):
            status, _, data = s.request("POST", path, body, key=k)
            self.assertProblem(status, data, 402, "over-budget")
            self.assertIn("price reel does not know", json.loads(data)["detail"])
        _, usage, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual((usage["reserved_usd"], usage["spent_usd"]), (0, 0))
        # A key without a budget may: the estimate says so instead.
        free = create_key(self.store, self.home)["secret"]
        status, est, _ = s.json("POST", "/v1/estimates", body, key=free)
        self.assertEqual(status, 200)
        self.assertIs(est["plan"][0]["unpriced"], True)
        # A model the operator priced (--provider-prices) is priced, so the budget key may.
        priced = dict(body, model="fal:someone/priced-model")
        status, est, _ = s.json("POST", "/v1/estimates", priced, key=k)
        self.assertEqual(status, 200, est)
        self.assertIs(est["plan"][0]["unpriced"], False)
        self.assertAlmostEqual(est["plan"][0]["estimate_usd"], 0.03, places=6)

    def test_concurrency_429_and_cancel_stops_running_job(self):
        s = self.server
        k = create_key(self.store, self.home, "--max-concurrent", "1")["secret"]
        status, job, _ = s.json("POST", "/v1/jobs", sleep_job(20000, seed=11), key=k)
        self.assertEqual(status, 202, job)
        status, h, data = s.request("POST", "/v1/jobs", sleep_job(10, seed=12), key=k)
        self.assertProblem(status, data, 429, "too-many-jobs")
        self.assertGreaterEqual(int(h["retry-after"]), 1)
        wait_status(s, job["id"], k, {"running"})
        t = time.monotonic()
        status, canceled, _ = s.json("POST", "/v1/jobs/%s/cancel" % job["id"], key=k)
        self.assertEqual(status, 202)
        final = wait_status(s, job["id"], k, {"canceled", "succeeded", "failed"}, timeout=10)
        self.assertEqual(final["status"], "canceled")
        self.assertLess(time.monotonic() - t, 5, "a 20 s job must stop soon after cancel")
        status, _, data = s.request("POST", "/v1/jobs/%s/cancel" % job["id"], key=k)
        self.assertProblem(status, data, 409, "conflict")
        # The slot is free again.
        status, job2, _ = s.json("POST", "/v1/jobs", sleep_job(10, seed=13), key=k)
        self.assertEqual(status, 202, job2)

    def test_cancel_queued_job_releases_reservation(self):
        s = self.server
        k = create_key(self.store, self.home, "--budget", "1")["secret"]
        # Keep the single worker busy so the next job stays queued.
        blocker = create_key(self.store, self.home)["secret"]
        _, b, _ = s.json("POST", "/v1/jobs", sleep_job(1500, seed=21), key=blocker)
        wait_status(s, b["id"], blocker, {"running"})
        status, job, _ = s.json("POST", "/v1/jobs", FILM, key=k)
        self.assertEqual(status, 202)
        _, u, _ = s.json("GET", "/v1/usage", key=k)
        self.assertGreater(u["reserved_usd"], 0)
        status, c, _ = s.json("POST", "/v1/jobs/%s/cancel" % job["id"], key=k)
        self.assertEqual((status, c["status"]), (202, "canceled"))
        _, u, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual((u["reserved_usd"], u["spent_usd"]), (0, 0))

    def test_rate_limit_429(self):
        k = create_key(self.store, self.home, "--rate", "2")["secret"]
        codes = [self.server.request("POST", "/v1/jobs", {"task": "nope"}, key=k)[0] for _ in range(4)]
        self.assertEqual(codes[:2], [422, 422])
        self.assertEqual(codes[2:], [429, 429])

    def test_idempotency(self):
        s = self.server
        k = create_key(self.store, self.home)["secret"]
        h = {"Idempotency-Key": "order-42"}
        s1, j1, _ = s.json("POST", "/v1/jobs", sleep_job(10, seed=31), headers=h, key=k)
        s2, j2, _ = s.json("POST", "/v1/jobs", sleep_job(10, seed=31), headers=h, key=k)
        self.assertEqual((s1, s2), (202, 200))
        self.assertEqual(j1["id"], j2["id"])
        status, _, data = s.request("POST", "/v1/jobs", sleep_job(10, seed=32), headers=h, key=k)
        self.assertProblem(status, data, 422, "idempotency-mismatch")
        _, listing, _ = s.json("GET", "/v1/jobs", key=k)
        self.assertEqual([j["id"] for j in listing["jobs"]], [j1["id"]])
        wait_status(s, j1["id"], k, {"succeeded"})
        _, u, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual((u["jobs_settled"], u["reserved_usd"]), (1, 0))

    def test_idempotent_retry_at_the_concurrency_limit_returns_the_job(self):
        # The retried submit's own job is what fills the key's only slot: it must be
        # answered with that job (200), not refused with 429.
        s = self.server
        k = create_key(self.store, self.home, "--max-concurrent", "1")["secret"]
        h = {"Idempotency-Key": "retry-at-limit"}
        s1, j1, _ = s.json("POST", "/v1/jobs", sleep_job(3000, seed=35), headers=h, key=k)
        s2, j2, _ = s.json("POST", "/v1/jobs", sleep_job(3000, seed=35), headers=h, key=k)
        self.assertEqual((s1, s2), (202, 200), j2)
        self.assertEqual(j1["id"], j2["id"])
        status, _, data = s.request("POST", "/v1/jobs", sleep_job(3000, seed=36), headers=h, key=k)
        self.assertProblem(status, data, 422, "idempotency-mismatch")
        status, _, data = s.request("POST", "/v1/jobs", sleep_job(10, seed=37), key=k)
        self.assertProblem(status, data, 429, "too-many-jobs")
        s.json("POST", "/v1/jobs/%s/cancel" % j1["id"], key=k)

    def test_tenant_isolation_and_listing(self):
        s = self.server
        a = create_key(self.store, self.home)["secret"]
        b = create_key(self.store, self.home)["secret"]
        ids = [s.json("POST", "/v1/jobs", sleep_job(1, seed=40 + i), key=a)[1]["id"] for i in range(3)]
        for i in ids:
            wait_status(s, i, a, {"succeeded"})
        _, page1, _ = s.json("GET", "/v1/jobs?limit=2", key=a)
        _, page2, _ = s.json("GET", "/v1/jobs?limit=2&cursor=" + page1["next_cursor"], key=a)
        self.assertEqual([j["id"] for j in page1["jobs"] + page2["jobs"]], ids)
        self.assertIsNone(page2["next_cursor"])
        _, ok, _ = s.json("GET", "/v1/jobs?status=succeeded", key=a)
        self.assertEqual(len(ok["jobs"]), 3)
        _, other, _ = s.json("GET", "/v1/jobs", key=b)
        self.assertEqual(other["jobs"], [])
        _, job, _ = s.json("GET", "/v1/jobs/" + ids[0], key=a)
        art = list(job["result"]["artifacts"].values())[0]["url"]
        self.assertEqual(s.request("GET", art, key=a)[0], 200)
        for method, path in (("GET", "/v1/jobs/" + ids[0]), ("POST", "/v1/jobs/%s/cancel" % ids[0]),
                             ("GET", "/v1/jobs/%s/events" % ids[0]), ("GET", art)):
            status, _, data = s.request(method, path, key=b)
            self.assertProblem(status, data, 404, "not-found")
        status, _, data = s.request("GET", "/v1/jobs?status=bogus", key=a)
        self.assertProblem(status, data, 422, "invalid-request")

    def test_upload_artifact(self):
        s = self.server
        png = tiny_png()
        status, _, data = s.request("POST", "/v1/artifacts", png, headers={"Content-Type": "image/png"}, key=self.key)
        self.assertEqual(status, 201, data)
        doc = json.loads(data)
        self.assertRegex(doc["hash"], "^[0-9a-f]{32}$")
        self.assertEqual((doc["width"], doc["height"]), (20, 16))
        status, h, back = s.request("GET", doc["url"], key=self.key)
        self.assertEqual((status, h["content-type"]), (200, "image/png"))
        other = create_key(self.store, self.home)["secret"]
        self.assertEqual(s.request("GET", doc["url"], key=other)[0], 404)
        # The upload works as a job input; another key cannot use it.
        body = {"task": "image_to_video", "model": "studio-animator",
                "inputs": {"image": "artifact:" + doc["hash"]},
                "params": {"motion": "pan", "duration": 1, "fps": 4, "width": 64, "height": 64}}
        self.assertEqual(s.request("POST", "/v1/jobs", body, key=self.key)[0], 202)
        status, _, data = s.request("POST", "/v1/jobs", body, key=other)
        self.assertProblem(status, data, 422, "invalid-request")
        status, _, data = s.request("POST", "/v1/artifacts", png[:40], headers={"Content-Type": "image/png"}, key=self.key)
        self.assertProblem(status, data, 422, "invalid-request")
        status, _, data = s.request("POST", "/v1/artifacts", b"GIF89a....", headers={"Content-Type": "image/gif"}, key=self.key)
        self.assertProblem(status, data, 415, "unsupported-media-type")

    # --- security probes ---
    def test_path_traversal_ids(self):
        s = self.server
        for path in ("/v1/artifacts/../../etc/passwd", "/v1/artifacts/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                     "/v1/artifacts/..%5c..%5cwindows", "/v1/artifacts/" + "a" * 31 + "%00",
                     "/v1/artifacts/" + "A" * 32, "/v1/artifacts/" + "a" * 33, "/v1/artifacts/" + "a" * 5000,
                     "/v1/jobs/../../etc/passwd", "/v1/jobs/%2e%2e", "/v1/jobs/" + "0" * 31 + "%00",
                     "/v1/jobs/" + "f" * 4000 + "/events", "/v1/artifacts//etc/passwd"):
            status, _, data = s.request("GET", path, key=self.key)
            self.assertEqual(status, 404, path)
            self.assertNotIn(b"root:", data)
        status, _, _ = s.request("GET", "/v1/artifacts/" + "a" * 9000, key=self.key)
        self.assertEqual(status, 431)

    def test_oversized_bodies(self):
        s = self.server
        big = json.dumps({"task": "text_to_image", "params": {"prompt": "x" * (2 << 20)}}).encode()
        # The server may answer 413 as soon as it sees Content-Length and close: send what it
        # takes, then read the answer.
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
        sock.sendall(("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                      % (self.key, len(big))).encode())
        try:
            sock.sendall(big)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = sock.recv(65536)
        sock.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:200])
        self.assertIn(b"payload-too-large", reply)
        rss_before = s.rss_kb()
        # 200 MB chunked upload: refused past 32 MiB without buffering the rest.
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
        sock.sendall(("POST /v1/artifacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n" % self.key).encode())
        chunk = b"%x\r\n" % (1 << 20) + b"\x89" * (1 << 20) + b"\r\n"
        sent = 0
        try:
            while sent < 200:
                sock.sendall(chunk)
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = b""
        try:
            while True:
                d = sock.recv(65536)
                if not d:
                    break
                reply += d
        except (ConnectionResetError, socket.timeout):
            pass
        sock.close()
        self.assertLess(sent, 200, "the server read the whole 200 MB body")
        if reply:
            self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:100])
        self.assertLess(s.rss_kb() - rss_before, 64 * 1024, "RSS grew by more than 64 MiB")

    def test_malformed_and_hostile_json(self):
        s = self.server
        for body in ("{not json", "[1, 2", "\xff\xfe", '{"pipeline": ' * 3):
            status, _, data = s.request("POST", "/v1/jobs", body, key=self.key)
            self.assertProblem(status, data, 400, "malformed-json")
        deep = "[" * 100000 + "]" * 100000
        status, _, data = s.request("POST", "/v1/jobs", deep, key=self.key)
        self.assertProblem(status, data, 400, "malformed-json")
        for body in ([], {"pipeline": []}, {"task": "text_to_image", "bogus": 1}, {}):
            status, _, data = s.request("POST", "/v1/jobs", body, key=self.key)
            self.assertProblem(status, data, 422, "invalid-request")

    def test_huge_requests_refused_before_queueing(self):
        s = self.server
        k = create_key(self.store, self.home, "--max-width", "640")["secret"]
        huge = {"task": "text_to_image", "model": "studio-character",
                "params": {"prompt": "x", "width": 100000, "height": 100000}}
        long_clip = json.loads(json.dumps(FILM))
        long_clip["pipeline"]["steps"][2]["params"]["duration"] = 3600
        key_limit = {"task": "text_to_image", "model": "studio-character",
                     "params": {"prompt": "x", "width": 1280, "height": 720}}
        file_input = {"task": "image_to_video", "model": "studio-animator",
                      "inputs": {"image": "file:/etc/passwd"}, "params": {"motion": "x"}}
        for body in (huge, long_clip, key_limit, file_input):
            status, _, data = s.request("POST", "/v1/jobs", body, key=k)
            self.assertProblem(status, data, 422, "invalid-request")
        _, listing, _ = s.json("GET", "/v1/jobs", key=k)
        self.assertEqual(listing["jobs"], [])
        _, u, _ = s.json("GET", "/v1/usage", key=k)
        self.assertEqual(u["reserved_usd"], 0)

    def test_slowloris_closed_by_header_timeout(self):
        s = self.server
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.settimeout(0.2)
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
        t0 = time.monotonic()
        closed_at = None
        fast = []
        for byte in request:
            try:
                sock.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic() - t0
                break
            try:
                if sock.recv(1024) == b"":
                    closed_at = time.monotonic() - t0
                    break
            except socket.timeout:
                pass
            t = time.monotonic()
            fast.append(s.healthy())
            if time.monotonic() - t0 > 6:
                break
        sock.close()
        self.assertIsNotNone(closed_at, "the slow connection was never closed")
        self.assertLess(closed_at, 4.0)  # header timeout 1.5 s in this server
        self.assertTrue(all(fast), "/healthz stalled while a slow client held a connection")

    def test_unknown_routes_and_methods(self):
        s = self.server
        self.assertEqual(s.request("GET", "/nope")[0], 404)
        self.assertEqual(s.request("DELETE", "/v1/jobs/" + "0" * 32, key=self.key)[0], 405)
        self.assertEqual(s.request("GET", "/v1/jobs/" + "0" * 32, key=self.key)[0], 404)

    # --- operations ---
    def test_health_ready_metrics_openapi(self):
        s = self.server
        self.assertEqual(s.json("GET", "/readyz")[:2], (200, {"status": "ready", "store": "sqlite"}))
        status, h, text = s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(h["content-type"].startswith("text/plain"))
        text = text.decode()
        self.assertRegex(text, r'reel_http_requests_total\{route="GET /readyz",status="200"\} \d+')
        self.assertIn("reel_http_request_duration_seconds_bucket", text)
        self.assertRegex(text, r"reel_queue_depth \d+")
        self.assertRegex(text, r'reel_jobs\{status="succeeded"\} \d+')
        status, served, _ = s.json("GET", "/v1/openapi.json")
        with open(os.path.join(DOCS, "openapi.json")) as f:
            self.assertEqual(served, json.load(f), "docs/openapi.json differs from the served document")
        self.assertEqual(served["openapi"], "3.1.0")


class WanWeights(unittest.TestCase):
    """A server whose Wan folders are present (placeholder files: nothing runs Wan here):
    Wan's own size rules are checked before anything is queued, and its estimates say
    they are the publisher's figures."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="reel-e2e-wan-")
        cls.home = cls.tmp.name
        cls.store = os.path.join(cls.home, "server.sqlite")
        models = os.path.join(cls.home, "models")
        folder = os.path.join(models, "Wan2.1-T2V-1.3B")  # the files docs/models.md lists
        os.makedirs(os.path.join(folder, "google", "umt5-xxl"))
        for name in ("diffusion_pytorch_model.safetensors", "Wan2.1_VAE.pth",
                     "models_t5_umt5-xxl-enc-bf16.pth", "google/umt5-xxl/spiece.model"):
            with open(os.path.join(folder, name), "w") as f:
                f.write("placeholder")
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump({"model_type": "t2v"}, f)
        cls.key = create_key(cls.store, cls.home, "--budget", "100")["secret"]
        cls.server = Server(cls.store, cls.home, env={"REEL_MODELS": models}).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def test_a_wan_size_error_is_refused_before_queueing_and_estimates_say_published(self):
        s = self.server
        body = {"task": "text_to_video", "model": "wan2.1-t2v-1.3b",
                "params": {"prompt": "a red ball", "width": 640, "height": 360, "duration": 1,
                           "fps": 16}}
        _, before, _ = s.json("GET", "/v1/usage", key=self.key)
        for path in ("/v1/estimates", "/v1/jobs"):
            status, _, data = s.request("POST", path, body, key=self.key)
            self.assertEqual(status, 422, data)
            detail = json.loads(data)["detail"]
            self.assertIn("step 'result'", detail)
            self.assertIn("height 360", detail)
            self.assertIn("352 or 368", detail)
        _, listing, _ = s.json("GET", "/v1/jobs", key=self.key)
        self.assertEqual(listing["jobs"], [])
        _, after, _ = s.json("GET", "/v1/usage", key=self.key)
        self.assertEqual(before, after)
        body["params"]["height"] = 352
        status, est, _ = s.json("POST", "/v1/estimates", body, key=self.key)
        self.assertEqual(status, 200, est)
        self.assertEqual(est["plan"][0]["estimate_source"], "published")


class ConnectionCap(unittest.TestCase):
    def test_connections_past_the_cap_are_closed_and_the_server_recovers(self):
        with tempfile.TemporaryDirectory(prefix="reel-e2e-cap-") as home:
            s = Server(os.path.join(home, "server.sqlite"), home, ["--max-connections", "4"], workers=0).start()
            try:
                held = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(4)]
                time.sleep(0.2)
                extra = socket.create_connection(("127.0.0.1", s.port))
                extra.settimeout(5)
                extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                try:
                    reply = extra.recv(100)
                except ConnectionResetError:
                    reply = b""
                self.assertEqual(reply, b"", "a connection past the cap was served")
                for c in held + [extra]:
                    c.close()
                time.sleep(0.2)
                self.assertTrue(s.healthy())
                _, _, metrics = s.request("GET", "/metrics")
                self.assertRegex(metrics.decode(), r"reel_http_connections_refused_total [1-9]")
            finally:
                s.stop()


class Restart(unittest.TestCase):
    """Jobs queued and running when `reel serve` dies (kill -9) or stops (SIGTERM) all finish
    after a restart, each exactly once (one ledger entry each)."""

    def run_case(self, sig):
        with tempfile.TemporaryDirectory(prefix="reel-e2e-restart-") as home:
            store = os.path.join(home, "server.sqlite")
            key = create_key(store, home, "--max-concurrent", "10")["secret"]
            args = ["--lease-ms", "900", "--shutdown-grace-ms", "300"]
            s = Server(store, home, args).start()
            ids = [s.json("POST", "/v1/jobs", sleep_job(600, seed=100 + i), key=key)[1]["id"] for i in range(5)]
            wait_status(s, ids[0], key, {"running"})
            s.stop(sig)
            s = Server(store, home, args).start()
            try:
                for i in ids:
                    job = wait_status(s, i, key, {"succeeded", "failed", "canceled"}, timeout=30)
                    self.assertEqual(job["status"], "succeeded", job)
                _, u, _ = s.json("GET", "/v1/usage", key=key)
                self.assertEqual((u["jobs_settled"], u["jobs_reserved"], u["reserved_usd"]), (5, 0, 0))
                _, listing, _ = s.json("GET", "/v1/jobs", key=key)
                self.assertEqual(sorted(j["id"] for j in listing["jobs"]), sorted(ids))
                for i in ids:
                    events = read_sse(s, i, key)
                    self.assertEqual([e[1] for e in events].count("succeeded"), 1)
            finally:
                s.stop()

    def test_sigterm_lets_in_flight_request_finish(self):
        with tempfile.TemporaryDirectory(prefix="reel-e2e-drain-") as home:
            store = os.path.join(home, "server.sqlite")
            key = create_key(store, home)["secret"]
            s = Server(store, home, ["--shutdown-grace-ms", "5000"]).start()
            result = {}

            def slow_request():
                result["reply"] = s.json("POST", "/v1/jobs", sleep_job(3000), headers={"Prefer": "wait=10"}, key=key)
            t = threading.Thread(target=slow_request)
            t.start()
            time.sleep(0.5)
            s.proc.send_signal(signal.SIGTERM)
            t.join(15)
            status, job, _ = result["reply"]
            self.assertIn(status, (201, 202), job)  # answered, not reset
            self.assertEqual(s.proc.wait(15), 0)
            s.stop()

    def test_kill_9_restart(self):
        self.run_case(signal.SIGKILL)

    def test_sigterm_restart(self):
        self.run_case(signal.SIGTERM)


if __name__ == "__main__":
    unittest.main(verbosity=2)
