#!/usr/bin/python3
"""Limits that hold (docs/server.md, "Limits and abuse"), probed against the real `reel serve`
on loopback: a key's size and duration limits apply to what the models will make, not to
the params a request happens to give; uploads are held to them before decoding and each
takes a token of the key's rate; no key learns from the cache what another key made; prompts count
characters; estimates refuse what a submit refuses; the store's files are the server's
own. Run by CTest (server_e2e label) with REEL_BIN set."""
import copy
import json
import os
import stat
import struct
import sys
import tempfile
import threading
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from test_http_e2e import FILM, Server, create_key, tiny_png, wait_status  # noqa: E402


def still(model, **params):
    return {"task": "text_to_image", "model": model, "params": dict(prompt="red robot", **params)}


def png_declaring(width, height):
    """A small, valid PNG whose IHDR declares width x height: its rows are all zero bytes,
    which deflate squeezes ~1000:1, so a 59-megapixel image fits in about 170 KB."""
    row = b"\x00" * (1 + width * 3)
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(height)) + z.flush()

    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


class Limits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="reel-limits-")
        cls.home = cls.tmp.name
        cls.store = os.path.join(cls.home, "server.sqlite")
        cls.artifacts = os.path.join(cls.home, "store")
        cls.key = create_key(cls.store, cls.home, "--name", "main")["secret"]
        cls.server = Server(cls.store, cls.home, ["--artifacts", cls.artifacts]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def setUp(self):
        # /healthz is asked every 100 ms while each probe runs: it must answer throughout.
        self.health_failures, self.probing = [], True

        def poll():
            while self.probing:
                try:
                    if not self.server.healthy():
                        self.health_failures.append("slow or not 200")
                except OSError as e:
                    self.health_failures.append(repr(e))
                time.sleep(0.1)
        self.poller = threading.Thread(target=poll)
        self.poller.start()

    def tearDown(self):
        self.probing = False
        self.poller.join()
        self.assertEqual(self.health_failures, [], "/healthz failed while the test ran")
        self.assertIsNone(self.server.proc.poll(), "the server died")
        self.assertTrue(self.server.healthy(), "/healthz slow or failing after the test")

    def refused(self, body, key, status=422, words=()):
        for route in ("/v1/estimates", "/v1/jobs"):
            code, _, data = self.server.request("POST", route, body, key=key)
            self.assertEqual(code, status, (route, data))
            doc = json.loads(data)
            for w in words:
                self.assertIn(w, doc["detail"], (route, doc))

    def nothing_queued(self, key):
        _, listing, _ = self.server.json("GET", "/v1/jobs", key=key)
        self.assertEqual(listing["jobs"], [])
        _, usage, _ = self.server.json("GET", "/v1/usage", key=key)
        self.assertEqual(usage["reserved_usd"], 0)

    # Finding 1: a key limited to 320x180, 24 frames, 1 s got a 3840x2160 still by leaving
    # the size out (style 4k) and a 5 s clip by leaving the duration out.
    def test_key_limits_hold_for_what_the_model_makes_when_params_leave_it_out(self):
        k = create_key(self.store, self.home, "--max-width", "320", "--max-height", "180",
                       "--max-frames", "24", "--max-duration", "1")["secret"]
        self.refused(still("studio-character", style="4k"), k,
                     words=("3840x2160", "no width/height is given", "16..320"))
        self.refused(still("studio-character"), k, words=("1280x720",))
        self.refused({"task": "text_to_image", "model": "studio-environment",
                      "params": {"prompt": "surface of mars", "style": "4k"}}, k,
                     words=("3840x2160",))
        # A clip that gives no duration is 5 s at 24 fps: 120 frames.
        clip = copy.deepcopy(FILM)
        for s in clip["pipeline"]["steps"]:
            s["params"].update({"width": 160, "height": 96})
        del clip["pipeline"]["steps"][2]["params"]["duration"]
        self.refused(clip, k, words=("duration 5 s", "5 s at 24 fps"))
        # An animator with no size makes its background's size: over a 1280x720 scene
        # (no size given there either) the scene itself is refused first.
        film = copy.deepcopy(FILM)
        for s in film["pipeline"]["steps"]:
            for side in ("width", "height"):
                s["params"].pop(side, None)
        self.refused(film, k, words=("1280x720",))
        self.nothing_queued(k)
        # Within the limits, given or defaulted, the same key is served.
        ok = copy.deepcopy(FILM)
        ok["pipeline"]["steps"][1]["params"].update({"width": 320, "height": 180})
        for side in ("width", "height"):
            ok["pipeline"]["steps"][2]["params"].pop(side)  # the background's 320x180
        code, _, data = self.server.request("POST", "/v1/jobs", ok, key=k)
        self.assertEqual(code, 202, data)
        job = wait_status(self.server, json.loads(data)["id"], k, ("succeeded", "failed"), 60)
        self.assertEqual(job["status"], "succeeded", job)

    # Finding 5: a 229 KB PNG declaring 7680x7680 cost seconds of decoding per upload.
    def test_uploads_are_held_to_the_limits_before_decoding(self):
        bomb = png_declaring(7680, 7680)
        self.assertLess(len(bomb), 400_000)
        small = create_key(self.store, self.home, "--max-width", "320", "--max-height", "180")["secret"]
        for key, words in ((self.key, ("megapixels",)), (small, ("7680x7680", "16..320"))):
            t = time.monotonic()
            code, _, data = self.server.request("POST", "/v1/artifacts", bomb,
                                                headers={"Content-Type": "image/png"}, key=key)
            elapsed = time.monotonic() - t
            self.assertEqual(code, 422, data)
            for w in words:
                self.assertIn(w, json.loads(data)["detail"])
            # Refused from the header: far below the 3.7 s a decode took.
            self.assertLess(elapsed, 0.5)
        # A small upload the key may make is still taken.
        code, _, data = self.server.request("POST", "/v1/artifacts", tiny_png(),
                                            headers={"Content-Type": "image/png"}, key=small)
        self.assertEqual(code, 201, data)

    def test_uploads_take_from_the_keys_rate(self):
        k = create_key(self.store, self.home, "--rate", "3")["secret"]
        pngs = [tiny_png(16 + i, 16) for i in range(5)]
        codes = [self.server.request("POST", "/v1/artifacts", png,
                                     headers={"Content-Type": "image/png"}, key=k)[0]
                 for png in pngs]
        self.assertEqual(codes[:3], [201, 201, 201])
        self.assertEqual(codes[3:], [429, 429])
        # The three taken are counted in the key's usage (not charged).
        _, usage, _ = self.server.json("GET", "/v1/usage", key=k)
        self.assertEqual(usage["uploads"], {"count": 3, "bytes": sum(map(len, pngs[:3])),
                                            "pixels": 16 * 16 + 17 * 16 + 18 * 16})
        self.assertEqual(usage["spent_usd"], 0)
        # Uploads and submits share the bucket: a submit now waits too.
        self.assertEqual(self.server.request("POST", "/v1/jobs", FILM, key=k)[0], 429)

    # Finding 6: key B's estimate of A's exact pipeline showed every step cached, $0.
    def test_no_key_learns_from_the_cache_what_another_key_made(self):
        a = create_key(self.store, self.home, "--name", "a")["secret"]
        b = create_key(self.store, self.home, "--name", "b")["secret"]
        film = copy.deepcopy(FILM)
        film["pipeline"]["seed"] = 4242
        code, _, data = self.server.request("POST", "/v1/jobs", film, key=a)
        self.assertEqual(code, 202, data)
        job_a = wait_status(self.server, json.loads(data)["id"], a, ("succeeded", "failed"), 60)
        self.assertEqual(job_a["status"], "succeeded", job_a)
        _, est_a, _ = self.server.json("POST", "/v1/estimates", film, key=a)
        self.assertTrue(all(s["cached"] for s in est_a["plan"]), est_a)
        _, est_b, _ = self.server.json("POST", "/v1/estimates", film, key=b)
        self.assertFalse(any(s["cached"] for s in est_b["plan"]), est_b)
        self.assertEqual(est_a["estimate_usd"], 0)
        self.assertGreater(est_b["estimate_usd"], 0)
        code, _, data = self.server.request("POST", "/v1/jobs", film, key=b)
        job_b = wait_status(self.server, json.loads(data)["id"], b, ("succeeded", "failed"), 60)
        self.assertEqual(job_b["status"], "succeeded", job_b)
        cost = job_b["result"]["cost"]
        self.assertEqual((cost["totals"]["steps_run"], cost["totals"]["steps_cached"]), (3, 0), cost)
        self.assertGreater(cost["totals"]["usd"], 0)
        # Each key reads its own output, not the other's.
        out_a = job_a["result"]["artifacts"]["film"]["hash"]
        out_b = job_b["result"]["artifacts"]["film"]["hash"]
        self.assertNotEqual(out_a, out_b)
        self.assertEqual(self.server.request("GET", "/v1/artifacts/" + out_a, key=b)[0], 404)
        self.assertEqual(self.server.request("GET", "/v1/artifacts/" + out_b, key=b)[0], 200)

    def test_prompt_limits_count_characters_not_bytes(self):
        # 4000 two-byte characters are 8000 bytes: allowed, as the docs say characters.
        ok = still("studio-character", width=64, height=64)
        ok["params"]["prompt"] = "robot " + "é" * 3994
        code, _, data = self.server.request("POST", "/v1/estimates", ok, key=self.key)
        self.assertEqual(code, 200, data)
        ok["params"]["prompt"] += "é"
        self.refused(ok, self.key, words=("4001 characters", "at most 4000"))

    # Finding 8: estimates skipped the webhook check that submits run.
    def test_estimates_refuse_a_webhook_a_submit_refuses(self):
        body = dict(still("studio-character", width=64, height=64),
                    webhook={"url": "http://169.254.169.254/latest/meta-data"})
        self.refused(body, self.key, words=("webhook url",))

    # Finding 8: store files were created 0644.
    def test_the_stores_files_are_the_servers_own(self):
        body = still("studio-character", width=64, height=64)
        body["seed"] = 99
        code, _, data = self.server.request("POST", "/v1/jobs", body, key=self.key)
        job = wait_status(self.server, json.loads(data)["id"], self.key, ("succeeded",), 60)
        self.assertTrue(job["result"]["artifacts"])
        checked = 0
        for root in (self.artifacts,):
            for dirpath, dirs, files in os.walk(root):
                for f in files:
                    mode = os.stat(os.path.join(dirpath, f)).st_mode
                    # Only files this server created: the test's own key command ran first.
                    self.assertEqual(stat.S_IMODE(mode) & 0o077, 0, os.path.join(dirpath, f))
                    checked += 1
        self.assertGreater(checked, 2)
        self.assertEqual(stat.S_IMODE(os.stat(self.store).st_mode) & 0o077, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
