#!/usr/bin/python3
"""A run's notes (what a model said about its output: words it did not know, roundings)
are one list on every path (docs/pipelines.md, "Notes"): the CLI's output, the cost report
beside the file, `reel cost`, a fully cached re-run, the API job's result and cost report,
its SSE step events, `reel run --server` and the remote Python SDK. Run by CTest
(server_e2e label) with REEL_BIN, REEL_PYTHON (build/python) and REEL_SOURCE set."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_http_e2e import REEL, Server, create_key, read_sse, wait_status  # noqa: E402

SOURCE = os.environ.get("REEL_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
PYTHONPATH = os.environ.get("REEL_PYTHON", os.path.join(SOURCE, "build/python")) + os.pathsep + \
    os.path.join(SOURCE, "python")

# Each step meets a word its model does not know, so each has a note of its own.
FILM = {"reel": 1, "name": "notes", "seed": 7, "output": "film", "steps": [
    {"id": "character", "task": "text_to_image", "model": "studio-character",
     "params": {"prompt": "red robot, flurbish", "width": 128, "height": 128}},
    {"id": "environment", "task": "text_to_image", "model": "studio-environment",
     "params": {"prompt": "surface of mars at dusk, zorbly", "width": 160, "height": 96}},
    {"id": "film", "task": "image_to_video", "model": "studio-animator",
     "inputs": {"image": "character", "background": "environment"},
     "params": {"motion": "subtle head turn, blorp", "duration": 1, "fps": 8, "width": 160,
                "height": 96}}]}

SDK_SCRIPT = r"""
import json, sys
import character_api, environment_api, animator_api
c = character_api.generate(prompt="red robot, flurbish", width=96, height=96, seed=3)
b = environment_api.generate(prompt="city at night, zorbly", width=128, height=96, seed=3)
v = animator_api.animate_from_image(base_image=c, background=b, motion="wave, blorp",
                                    duration=0.5, fps=8, width=128, height=96, seed=3)
print(json.dumps({"still": list(c.notes), "video": list(v.notes)}))
"""


def step_notes(cost):
    return [n for s in cost["steps"] for n in s.get("notes", [])]


class NotesEverywhereTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="reel_notes_e2e_")
        home = os.path.join(cls.tmp.name, "server-home")
        os.makedirs(home)
        store = os.path.join(cls.tmp.name, "jobs.db")
        cls.server = Server(store, home).start()
        cls.key = create_key(store, home)["secret"]
        cls.url = "http://127.0.0.1:%d" % cls.server.port
        cls.film = os.path.join(cls.tmp.name, "film.json")
        with open(cls.film, "w") as f:
            json.dump(FILM, f)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def reel(self, *args, home="cli-home"):
        env = dict(os.environ, REEL_HOME=os.path.join(self.tmp.name, home), REEL_API_KEY=self.key)
        r = subprocess.run([REEL] + list(args), capture_output=True, text=True, env=env,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def python(self, remote):
        env = dict(os.environ, PYTHONPATH=PYTHONPATH, REEL_PROGRESS="0",
                   REEL_HOME=os.path.join(self.tmp.name, "py-remote" if remote else "py-local"))
        if remote:
            env.update(REEL_SERVER=self.url, REEL_API_KEY=self.key)
        r = subprocess.run([sys.executable, "-c", SDK_SCRIPT], capture_output=True, text=True,
                           env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout.strip().splitlines()[-1])

    def test_one_list_of_notes_on_every_path(self):
        out = os.path.join(self.tmp.name, "local.mp4")
        first = self.reel("run", self.film, "--json", "--out", out)
        notes = json.loads(first.stdout)["notes"]
        # Each step's own words, in step order.
        self.assertEqual(notes, ["step 'character': unrecognised words: flurbish",
                                 "step 'environment': unrecognised words: zorbly",
                                 "step 'film': unrecognised words: blorp"])
        printed = [l[len("note: "):] for l in first.stderr.splitlines() if l.startswith("note: ")]
        self.assertEqual(printed, notes)
        cost_file = json.loads(first.stdout)["cost_file"]
        with open(cost_file) as f:
            self.assertEqual(step_notes(json.load(f)), notes)
        shown = self.reel("cost", cost_file).stdout.splitlines()
        self.assertEqual([l[len("note: "):] for l in shown if l.startswith("note: ")], notes)

        # Fully cached: nothing runs, the stills are not even loaded, the words are the same.
        again = json.loads(self.reel("run", self.film, "--json", "--out", out + ".2.mp4").stdout)
        self.assertEqual((again["executed"], again["cached"]), (0, 3))
        self.assertEqual(again["notes"], notes)
        self.assertEqual(step_notes(again["cost"]), notes)

        # The API: the job's result, its cost report and its step events; twice, the second
        # job being all cache hits on the server.
        for run in ("made", "cached"):
            status, job, _ = self.server.json("POST", "/v1/jobs", {"pipeline": FILM},
                                              key=self.key)
            self.assertEqual(status, 202, job)
            done = wait_status(self.server, job["id"], self.key, {"succeeded", "failed"}, 60)
            self.assertEqual(done["status"], "succeeded", done)
            self.assertEqual(done["result"]["notes"], notes, run)
            self.assertEqual(step_notes(done["result"]["cost"]), notes, run)
            kind = "step" if run == "made" else "cached"
            events = [e[2]["data"] for e in read_sse(self.server, job["id"], self.key)
                      if e[1] == kind and e[2]["data"].get("state", "finished") == "finished"]
            self.assertEqual(len(events), 3, events)
            by_step = {e["step"]: e.get("notes", []) for e in events}
            self.assertEqual([n for s in ("character", "environment", "film") for n in by_step[s]],
                             notes, run)

        # reel run --server: the server's words, then where it ran.
        remote = json.loads(self.reel("run", self.film, "--server", self.url, "--json", "--out",
                                      out + ".remote.mp4", home="remote-cli-home").stdout)
        self.assertEqual(remote["notes"][:-1], notes)
        self.assertRegex(remote["notes"][-1], r"^ran on http://127\.0\.0\.1:\d+ as job ")

        # The Python SDK, local and remote: the same calls, the same notes.
        local, far = self.python(remote=False), self.python(remote=True)
        self.assertEqual(local["still"], ["step 'character': unrecognised words: flurbish"])
        self.assertEqual([n for n in far["still"] if not n.startswith("ran on ")],
                         local["still"])
        self.assertEqual([n for n in far["video"] if not n.startswith("ran on ")],
                         local["video"])
        self.assertIn("step 'animate': unrecognised words: blorp", local["video"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
