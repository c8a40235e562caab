#!/usr/bin/python3
"""The Python SDK in remote mode (docs/remote.md): the seed-shaped calls, unchanged, run
on a real `reel serve` (SQLite store, one worker) when REEL_SERVER and REEL_API_KEY are
set. Each client runs in a child interpreter because the module reads the environment
when its default session is first used. Needs build/bin/reel, build/python and ffprobe."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

SOURCE = sys.argv[1] if len(sys.argv) > 1 else "."
BUILD = os.environ.get("REEL_BUILD_DIR", os.path.join(SOURCE, "build"))
REEL = os.path.join(BUILD, "bin", "reel")
PYTHONPATH = os.path.join(BUILD, "python") + os.pathsep + os.path.join(SOURCE, "python")

# A clip long enough on any machine (720 frames at 720p) that it is still rendering on
# the server when the client is interrupted.
LONG_CLIENT = r"""
import sys
import animator_api, character_api, environment_api
c = character_api.generate(prompt="red robot", width=256, height=256, seed=11)
b = environment_api.generate(prompt="surface of mars", width=1280, height=720, seed=11)
try:
    animator_api.animate_from_image(base_image=c, background=b, motion="walk", duration=30,
                                    fps=24, seed=11).save(sys.argv[1])
    print("finished", flush=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt raised", file=sys.stderr, flush=True)
    sys.exit(130)
"""

CLIENT = r"""
import sys
import character_api, environment_api, animator_api
c = character_api.generate(prompt="red robot", width=128, height=128, seed=3)
b = environment_api.generate(prompt="surface of mars", width=160, height=96, seed=3)
v = animator_api.animate_from_image(base_image=c, background=b, motion="subtle head turn",
                                    duration=1, fps=8, width=160, height=96, seed=3)
v.save(sys.argv[1])
print("frames", v.frame_count, "size", v.width, v.height)
"""


class RemoteModeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="reel_remote_py_")
        cls.server_home = os.path.join(cls.tmp.name, "server-home")
        cls.store = store = os.path.join(cls.tmp.name, "jobs.db")
        # diag-sleep (a step that runs until told) for the cancellation test.
        env = dict(os.environ, REEL_HOME=cls.server_home, REEL_DIAGNOSTIC_MODELS="1")
        cls.proc = subprocess.Popen(
            # The default lease (heartbeat every 10 s): a cancel must not wait for a beat.
            [REEL, "serve", "--store", store, "--listen", "127.0.0.1:0", "--workers", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        ready, _, _ = select.select([cls.proc.stdout], [], [], 20)
        if not ready:
            cls.proc.kill()
            raise RuntimeError("reel serve printed no address in 20 s")
        m = re.search(r"127\.0\.0\.1:(\d+)", cls.proc.stdout.readline())
        cls.url = "http://127.0.0.1:%s" % m.group(1)

    def setUp(self):
        # One key per test, so each test sees only its own jobs and spending.
        out = subprocess.run([REEL, "keys", "create", "--store", self.store, "--json", "--budget",
                              "5"], check=True, capture_output=True, text=True,
                             env=dict(os.environ, REEL_HOME=self.server_home)).stdout
        self.key = json.loads(out)["secret"]

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(30)
        cls.proc.stdout.close()
        cls.proc.stderr.close()
        cls.tmp.cleanup()

    def get(self, path, key=None):
        req = urllib.request.Request(self.url + path,
                                     headers={"Authorization": "Bearer " + (key or self.key)})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def run_client(self, script, *args, key=None, home="client-home"):
        env = dict(os.environ, PYTHONPATH=PYTHONPATH, REEL_SERVER=self.url,
                   REEL_API_KEY=key or self.key, REEL_HOME=os.path.join(self.tmp.name, home),
                   REEL_PROGRESS="0")
        return subprocess.run([sys.executable, "-c", script] + list(args), capture_output=True,
                              text=True, env=env, timeout=120)

    def test_seed_script_runs_on_the_server(self):
        out = os.path.join(self.tmp.name, "out", "film.mp4")
        r = self.run_client(CLIENT, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("frames 8 size 160 96", r.stdout)

        probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams",
                                "v:0", "-show_entries", "stream=codec_name,width,height,"
                                "nb_read_frames", "-of", "csv=p=0", out],
                               capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(probe, "h264,160,96,8")
        with open(os.path.join(self.tmp.name, "out", "film.cost.json")) as f:
            cost = json.load(f)
        self.assertEqual([s["step"] for s in cost["steps"]],
                         ["character", "environment", "animate"])

        # The server ran all three steps, for this key: three succeeded jobs, one per call.
        jobs = self.get("/v1/jobs?status=succeeded")["jobs"]
        models = sorted(j["plan"][0]["model"] for j in jobs if j.get("plan"))
        self.assertEqual(len(jobs), 3, jobs)
        self.assertEqual(models, ["studio-animator", "studio-character", "studio-environment"])
        usage = self.get("/v1/usage")
        self.assertGreater(usage["spent_usd"], 0, usage)

        # The clip saved locally is the server's artifact byte for byte (before signing
        # added the manifest, the client's copy of the server's MP4 is kept by hash).
        animate = [j for j in jobs if j["plan"][0]["model"] == "studio-animator"][0]
        h = animate["result"]["artifacts"][animate["result"]["output"]]["hash"]
        kept = os.path.join(self.tmp.name, "client-home", "store", "remote", h + ".mp4")
        self.assertTrue(os.path.exists(kept), kept)
        req = urllib.request.Request(self.url + "/v1/artifacts/" + h,
                                     headers={"Authorization": "Bearer " + self.key})
        with urllib.request.urlopen(req, timeout=30) as resp:
            with open(kept, "rb") as f:
                self.assertEqual(f.read(), resp.read())

    def test_local_still_is_uploaded_for_the_server(self):
        # A still made on this machine (numpy) is unknown to the server: it is uploaded.
        script = r"""
import sys, numpy as np
import animator_api, environment_api
img = np.zeros((64, 64, 4), dtype=np.uint8); img[16:48, 16:48] = (255, 0, 0, 255)
b = environment_api.generate(prompt="forest", width=96, height=64)
v = animator_api.animate_from_image(base_image=img, background=b, motion="walk right",
                                    duration=0.5, fps=8, width=96, height=64)
v.save(sys.argv[1])
"""
        out = os.path.join(self.tmp.name, "out", "upload.mp4")
        r = self.run_client(script, out, home="client-home-2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.getsize(out) > 0)
        # Only two jobs ran there; the numpy still reached the animator as an upload.
        jobs = self.get("/v1/jobs?status=succeeded")["jobs"]
        self.assertEqual(sorted(j["plan"][0]["model"] for j in jobs),
                         ["studio-animator", "studio-environment"])

    def test_reel_run_with_server_writes_the_output_locally(self):
        film = {"reel": 1, "name": "cli", "seed": 5, "output": "film", "steps": [
            {"id": "character", "task": "text_to_image", "model": "studio-character",
             "params": {"prompt": "green robot", "width": 96, "height": 96}},
            {"id": "environment", "task": "text_to_image", "model": "studio-environment",
             "params": {"prompt": "city at night", "width": 128, "height": 96}},
            {"id": "film", "task": "image_to_video", "model": "studio-animator",
             "inputs": {"image": "character", "background": "environment"},
             "params": {"motion": "wave", "duration": 0.5, "fps": 8, "width": 128,
                        "height": 96}}]}
        path = os.path.join(self.tmp.name, "cli.json")
        with open(path, "w") as f:
            json.dump(film, f)
        out = os.path.join(self.tmp.name, "cli-out", "film.mp4")
        env = dict(os.environ, REEL_API_KEY=self.key,
                   REEL_HOME=os.path.join(self.tmp.name, "cli-home"))
        r = subprocess.run([REEL, "run", path, "--server", self.url, "--out", out],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3 steps run, 0 cached", r.stdout)
        # The server's step events drive the local progress view.
        for step in ("character (studio-character)", "environment (studio-environment)",
                     "film (studio-animator)"):
            self.assertIn("step %s started" % step, r.stderr)
        self.assertIn("step film finished", r.stderr)
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height",
                                "-of", "csv=p=0", out], capture_output=True, text=True,
                               check=True).stdout.strip()
        self.assertEqual(probe, "128,96")
        jobs = self.get("/v1/jobs")["jobs"]
        self.assertEqual(len(jobs), 1)
        self.assertEqual([p["step"] for p in jobs[0]["plan"]], ["character", "environment", "film"])
        verify = subprocess.run([REEL, "verify", out], capture_output=True, text=True, env=env)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_ctrl_c_on_reel_run_cancels_the_servers_job(self):
        slow = {"reel": 1, "name": "slow", "steps": [
            {"id": "nap", "task": "text_to_image", "model": "diag-sleep",
             "params": {"prompt": "x", "extra": {"ms": 20000}}}]}
        path = os.path.join(self.tmp.name, "slow.json")
        with open(path, "w") as f:
            json.dump(slow, f)
        out = os.path.join(self.tmp.name, "slow-out", "nap.png")
        env = dict(os.environ, REEL_API_KEY=self.key,
                   REEL_HOME=os.path.join(self.tmp.name, "slow-home"))
        p = subprocess.Popen([REEL, "run", path, "--server", self.url, "--out", out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            jobs = self.get("/v1/jobs?status=running")["jobs"]
            if jobs:
                break
            time.sleep(0.05)
        self.assertTrue(jobs, "the job never ran")
        t = time.monotonic()
        p.send_signal(signal.SIGINT)
        status = self.get("/v1/jobs/" + jobs[0]["id"])["status"]
        while status != "canceled" and time.monotonic() - t < 15:
            time.sleep(0.02)
            status = self.get("/v1/jobs/" + jobs[0]["id"])["status"]
        to_canceled = time.monotonic() - t
        _, err = p.communicate(timeout=15)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cancel", err.lower())
        self.assertLess(time.monotonic() - t, 5)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(status, "canceled")
        self.assertLessEqual(to_canceled, 1.0)  # docs/remote.md: "within about a second"

    def test_ctrl_c_in_python_cancels_the_servers_job_within_a_second(self):
        out = os.path.join(self.tmp.name, "long-out", "clip.mp4")
        os.makedirs(os.path.dirname(out))
        env = dict(os.environ, PYTHONPATH=PYTHONPATH, REEL_SERVER=self.url, REEL_API_KEY=self.key,
                   REEL_HOME=os.path.join(self.tmp.name, "long-home"), REEL_PROGRESS="0")
        p = subprocess.Popen([sys.executable, "-c", LONG_CLIENT, out], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
        try:
            # The clip's job is running and has rendered frames (its progress has moved).
            job, deadline = None, time.monotonic() + 120
            while time.monotonic() < deadline and job is None and p.poll() is None:
                for j in self.get("/v1/jobs?status=running")["jobs"]:
                    if j["plan"][0]["model"] == "studio-animator" and j.get("progress"):
                        job = j
                time.sleep(0.05)
            self.assertIsNotNone(job, "the clip's job never ran: " + str(p.poll()))
            t = time.monotonic()
            p.send_signal(signal.SIGINT)
            status = self.get("/v1/jobs/" + job["id"])["status"]
            while status != "canceled" and time.monotonic() - t < 30:
                time.sleep(0.02)
                status = self.get("/v1/jobs/" + job["id"])["status"]
            to_canceled = time.monotonic() - t
            p.wait(timeout=30)
            to_exit = time.monotonic() - t
            stdout, stderr = p.communicate()
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        print(f"SIGINT to job canceled: {to_canceled:.3f} s, to client exit: {to_exit:.3f} s",
              file=sys.stderr)
        self.assertEqual(status, "canceled")
        self.assertLessEqual(to_canceled, 1.0)
        self.assertEqual(p.returncode, 130, stdout + stderr)
        self.assertIn("KeyboardInterrupt raised", stderr)
        # The client is gone soon after (it hears of the cancel on the job's event stream);
        # the slack is the interpreter's exit on a loaded machine.
        self.assertLessEqual(to_exit, 1.5)
        self.assertEqual(os.listdir(os.path.dirname(out)), [])

    def test_wrong_key_is_a_clear_error(self):
        r = self.run_client(CLIENT, os.path.join(self.tmp.name, "x.mp4"),
                            key="reel_nokey_00000000000000000000000000000000", home="bad")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ReelError", r.stderr)
        self.assertIn("401", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "x.mp4")))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
