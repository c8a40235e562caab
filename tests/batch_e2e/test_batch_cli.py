#!/usr/bin/python3
"""Black-box tests of `reel batch` (issue 15): the real binary over tiny studio pipelines
(96x64 stills, 0.5 s clips at 8 fps). Each test asserts properties that the old binary
(no `batch` command) or a broken batch (a step recomputed per row, a row rendered twice,
a half-written file, an unescaped formula) fails.

Environment: REEL_BIN (the reel binary)."""
import csv
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REEL = os.environ.get("REEL_BIN", "build/bin/reel")

TEMPLATE = """reel: 1
name: "{{sku}}"
seed: 7
output: film
steps:
  - id: environment
    task: text_to_image
    model: studio-environment
    params: {prompt: "surface of Mars, dust storm in distance", width: 96, height: 64}
  - id: character
    task: text_to_image
    model: studio-character
    params: {prompt: "{{subject}}", width: 96, height: 64}
  - id: film
    task: image_to_video
    model: studio-animator
    inputs: {image: character, background: environment}
    params: {motion: "{{motion}}", duration: "{{dur}}", fps: 8, width: 96, height: 64}
"""

# A template whose character comes from a file: a row's photo must be readable.
PHOTO_TEMPLATE = TEMPLATE.replace(
    """  - id: character
    task: text_to_image
    model: studio-character
    params: {prompt: "{{subject}}", width: 96, height: 64}
""", "").replace("inputs: {image: character, background: environment}",
                 'inputs: {image: "file:{{photo}}", background: environment}')

COLOURS = ["white", "red", "blue", "green", "orange", "black", "silver", "gold"]
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what, flush=True)


class Dir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="reel-batch-e2e-")
        self.env = dict(os.environ, REEL_HOME=os.path.join(self.path, "home"))

    def write(self, name, text):
        with open(os.path.join(self.path, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)

    def reel(self, *args, timeout=120):
        return subprocess.run([REEL] + list(args), cwd=self.path, env=self.env, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def start(self, *args):
        return subprocess.Popen([REEL] + list(args), cwd=self.path, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def manifest(self, out):
        p = os.path.join(self.path, out, "batch.jsonl")
        if not os.path.exists(p):
            return []
        out = []
        for l in open(p, encoding="utf-8").read().split("\n"):
            try:
                out.append(json.loads(l))
            except ValueError:
                pass  # blank, or the torn line a test wrote on purpose
        return out

    def store_count(self):
        r = self.reel("cache", "ls", "--json")
        return len(json.loads(r.stdout))


def rows_csv(n, dur="0.5"):
    lines = ["sku,subject,motion,dur"]
    for i in range(n):
        lines.append('S%03d,"astronaut, %s suit",wave %d,%s' % (i, COLOURS[i % len(COLOURS)], i, dur))
    return "\n".join(lines) + "\n"


def mp4_frames(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                        "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return int(r.stdout.strip() or 0) if r.returncode == 0 else 0


def test_shared_step_is_computed_once():
    d = Dir()
    d.write("t.yaml", TEMPLATE)
    d.write("rows.csv", rows_csv(6))
    r = d.reel("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--jobs", "2", "--json",
               "--no-sign")
    check(r.returncode == 0, "6-row batch exits 0: %d %s" % (r.returncode, r.stderr[-2000:]))
    m = d.manifest("out")
    check(len(m) == 6 and all(e["status"] == "succeeded" for e in m), "6 successes: %s" % m)
    # From the cost reports: the environment ran for one row and was a $0 hit for five.
    env_runs = env_hits = 0
    for e in m:
        cost = json.load(open(os.path.join(d.path, e["output"][:-4] + ".cost.json")))
        for s in cost["steps"]:
            if s["step"] == "environment":
                if s["cached"]:
                    env_hits += 1
                    check(s["usd"] == 0, "a cache hit costs $0")
                else:
                    env_runs += 1
    check(env_runs == 1 and env_hits == 5, "environment run once, 5 hits: %d/%d" % (env_runs, env_hits))
    check(sum(e["executed"] for e in m) == 13, "13 steps executed (1 + 6 + 6): %s" %
          [e["executed"] for e in m])
    for e in m:
        check(mp4_frames(os.path.join(d.path, e["output"])) == 4, "row %s has 4 frames" % e["key"])
    check(os.path.getsize(os.path.join(d.path, "out", "contact_sheet.png")) > 0, "contact sheet")
    sheet = list(csv.reader(open(os.path.join(d.path, "out", "batch.csv"), encoding="utf-8")))
    check(sheet[0][:5] == ["key", "line", "status", "output", "usd"], "batch.csv header: %s" % sheet[0])
    check(len(sheet) == 7, "batch.csv has 6 rows")
    # A plain re-run into the same folder renders nothing again.
    r2 = d.reel("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--json", "--no-sign")
    j = json.loads(r2.stdout)
    check(r2.returncode == 0 and j["resumed"] == 6 and j["executed"] == 0,
          "re-run resumes all 6: %s" % r2.stdout[-500:])
    shutil.rmtree(d.path)


def test_bad_rows_are_reported_with_their_lines():
    d = Dir()
    d.write("t.yaml", PHOTO_TEMPLATE)
    # A real photo for the good rows: a still rendered by reel itself.
    d.write("still.yaml", """reel: 1
steps:
  - id: c
    task: text_to_image
    model: studio-character
    params: {prompt: "astronaut", width: 96, height: 64}
""")
    r = d.reel("run", "still.yaml", "--out", "photo.png", "--quiet", "--no-sign")
    check(r.returncode == 0, "still for the photo rows: " + r.stderr)
    big = "x" * (1 << 20)
    text = ("sku,photo,motion,dur,title\n"
            "G1,photo.png,wave,0.5,Mug\n"              # line 2: good
            "B2,photo.png,wave\n"                      # line 3: a missing column
            "B3,missing.png,wave,0.5,Cup\n"            # line 4: a missing image
            "B4,photo.png,wave,1000,Cup\n"             # line 5: duration out of range
            "B5,\"photo\".png,wave,0.5,Cup\n"          # line 6: malformed
            "B6,photo.png,wave,0.5,%s\n"               # line 7: a 1 MB cell
            "G7,photo.png,spin,0.5,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"\n"  # line 8
            "G8,photo.png,nod,0.5,-2+3\n") % big       # line 9
    d.write("rows.csv", text)
    r = d.reel("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--name", "{{sku}}",
               "--no-sign")
    check(r.returncode == 1, "some rows invalid → exit 1, got %d: %s" % (r.returncode, r.stderr[-3000:]))
    for line, word in [(3, "cells"), (4, "missing.png"), (5, "duration"), (6, "quote"),
                       (7, "64 KiB")]:
        hit = [l for l in r.stderr.splitlines() if l.startswith("rows.csv:%d:" % line)]
        check(len(hit) == 1 and word in hit[0], "line %d reported with '%s': %s" % (line, word, hit))
    m = {e["key"]: e for e in d.manifest("out")}
    for k in ["G1", "G7", "G8"]:
        check(k in m and m[k]["status"] == "succeeded", "good row %s rendered" % k)
        check(os.path.exists(os.path.join(d.path, "out", k + ".mp4")), k + ".mp4 exists")
    check(not os.path.exists(os.path.join(d.path, "out", "B3.mp4")), "bad rows render nothing")
    raw = open(os.path.join(d.path, "out", "batch.csv"), encoding="utf-8").read()
    check("'=HYPERLINK" in raw and ",\"=HYPERLINK" not in raw and ",=HYPERLINK" not in raw,
          "formula escaped in batch.csv")
    check("'-2+3" in raw, "a leading '-' is escaped too")
    # --strict refuses the whole batch, exit 2, and renders nothing.
    r = d.reel("batch", "t.yaml", "--rows", "rows.csv", "--out", "strict", "--strict", "--no-sign")
    check(r.returncode == 2 and "line 3" in r.stderr and "line 7" in r.stderr,
          "--strict: exit 2 listing rows: %d %s" % (r.returncode, r.stderr[-1500:]))
    check(not glob.glob(os.path.join(d.path, "strict", "*.mp4")), "--strict renders nothing")
    # Duplicate names are refused at validation; --server is not built yet.
    d.write("dup.csv", "sku,photo,motion,dur\nA,photo.png,wave,0.5\nA,photo.png,nod,0.5\n")
    r = d.reel("batch", "t.yaml", "--rows", "dup.csv", "--out", "dup", "--name", "{{sku}}",
               "--no-sign")
    check(r.returncode == 1 and "rows.csv" not in r.stderr and "dup.csv:3:" in r.stderr and
          "line 2" in r.stderr, "duplicate name refused at line 3: " + r.stderr[-800:])
    # JSONL: a row missing a key and a malformed line, each with its line; good rows render.
    d.write("rows.jsonl", '{"sku": "J1", "photo": "photo.png", "motion": "wave", "dur": 0.5}\n'
            '{"sku": "J2", "photo": "photo.png", "dur": 0.5}\n'
            '{"sku": "J3", "photo": \n'
            '{"sku": "J4", "photo": "photo.png", "motion": "nod", "dur": 1}\n')
    r = d.reel("batch", "t.yaml", "--rows", "rows.jsonl", "--out", "jl", "--name", "{{sku}}",
               "--no-sign")
    check(r.returncode == 1 and "rows.jsonl:2: skipped:" in r.stderr and "'motion'" in r.stderr
          and "rows.jsonl:3: skipped: is not valid JSON" in r.stderr,
          "JSONL rows reported by line: " + r.stderr[-800:])
    check(sorted(os.path.basename(f) for f in glob.glob(os.path.join(d.path, "jl", "*.mp4"))) ==
          ["J1.mp4", "J4.mp4"], "JSONL good rows render")
    r = d.reel("batch", "t.yaml", "--rows", "rows.jsonl", "--out", "fresh", "--resume")
    check(r.returncode == 2 and "no batch to resume" in r.stderr,
          "--resume without a manifest is refused: " + r.stderr)
    r = d.reel("batch", "t.yaml", "--rows", "dup.csv", "--server", "http://127.0.0.1:1")
    check(r.returncode == 2 and "not built yet" in r.stderr, "--server refused: " + r.stderr)
    shutil.rmtree(d.path)


def test_budget_stops_before_the_row_that_would_exceed_it():
    d = Dir()
    d.write("t.yaml", TEMPLATE)
    d.write("rows.csv", rows_csv(4))
    r = d.reel("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--budget", "0",
               "--json", "--no-sign")
    j = json.loads(r.stdout) if r.stdout else {}
    check(r.returncode == 7 and j.get("rows_fit") == 0 and j.get("not_started") == 4 and
          j.get("budget_stop"), "--budget 0: exit 7, 0 rows fit: %d %s" % (r.returncode, r.stdout))
    check(not glob.glob(os.path.join(d.path, "out", "*.mp4")), "nothing rendered over budget")
    r = d.reel("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--budget", "5",
               "--json", "--no-sign")
    j = json.loads(r.stdout) if r.stdout else {}
    check(r.returncode == 0 and j.get("rows_fit") == 4 and j.get("succeeded") == 4,
          "--budget 5 fits all 4 rows: %s" % r.stdout[-400:])
    r = d.reel("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--budget", "-1")
    check(r.returncode == 2 and "--budget" in r.stderr, "a negative budget is refused")
    shutil.rmtree(d.path)


def wait_lines(d, out, n, proc, limit=60):
    t0 = time.time()
    while time.time() - t0 < limit and proc.poll() is None:
        if len(d.manifest(out)) >= n:
            return True
        time.sleep(0.005)
    return False


def test_kill_9_then_resume_renders_every_row_once():
    d = Dir()
    d.write("t.yaml", TEMPLATE)
    n = 30
    d.write("rows.csv", rows_csv(n, dur="2"))
    p = d.start("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--no-sign")
    check(wait_lines(d, "out", n * 3 // 10, p), "batch reached 30%")
    p.send_signal(signal.SIGKILL)
    p.wait()
    first = d.manifest("out")
    check(0 < len(first) < n, "killed mid-batch: %d of %d rows" % (len(first), n))
    # What a crash inside a write would leave: a torn last line. Resume ignores it.
    with open(os.path.join(d.path, "out", "batch.jsonl"), "a") as f:
        f.write('{"key":"S029","line":31,"status":"succ')
    r = d.reel("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--resume", "--json",
               "--no-sign")
    check(r.returncode == 0, "resume exits 0: %s" % r.stderr[-1500:])
    j = json.loads(r.stdout)
    check(j["resumed"] == len(first), "resume skips the %d finished rows" % len(first))
    m = d.manifest("out")
    keys = [e["key"] for e in m if e["status"] == "succeeded"]
    check(sorted(keys) == sorted(set(keys)) and len(keys) == n,
          "every row succeeded exactly once: %d lines, %d keys" % (len(keys), len(set(keys))))
    # Steps: the environment once, a character per suit colour, a film per row; each is
    # stored exactly once, and no recorded row computed a step another one computed.
    unique = 1 + len(COLOURS) + n
    check(d.store_count() == unique, "store holds %d artifacts: %d" % (unique, d.store_count()))
    check(sum(e["executed"] for e in m) <= unique, "no step executed twice")
    check(sum(e["executed"] + e["cached"] for e in m) == 3 * n, "3 steps per row")
    for k in keys:
        check(mp4_frames(os.path.join(d.path, "out", k + ".mp4")) == 16, k + " is a whole clip")
    shutil.rmtree(d.path)


def test_sigint_stops_cleanly():
    d = Dir()
    d.write("t.yaml", TEMPLATE)
    n = 30
    d.write("rows.csv", rows_csv(n, dur="2"))
    p = d.start("batch", "t.yaml", "--rows", "rows.csv", "--out", "out", "--jobs", "2",
                "--no-sign")
    check(wait_lines(d, "out", 3, p), "batch started rows")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 130, "SIGINT → exit 130, got %d: %s" % (p.returncode, err[-800:]))
    m = d.manifest("out")
    check(len(m) < n, "stopped before the end: %d rows" % len(m))
    leftovers = [f for f in os.listdir(os.path.join(d.path, "out")) if f.startswith(".")]
    check(not leftovers, "no temporary (half-written) files: %s" % leftovers)
    mp4s = glob.glob(os.path.join(d.path, "out", "*.mp4"))
    check(len(mp4s) == len(m), "one whole MP4 per finished row: %d vs %d" % (len(mp4s), len(m)))
    for f in mp4s:
        check(mp4_frames(f) == 16, os.path.basename(f) + " is whole")
    shutil.rmtree(d.path)


def main():
    for t in [test_shared_step_is_computed_once, test_bad_rows_are_reported_with_their_lines,
              test_budget_stops_before_the_row_that_would_exceed_it,
              test_kill_9_then_resume_renders_every_row_once, test_sigint_stops_cleanly]:
        t0 = time.time()
        t()
        print("%s: %.1f s" % (t.__name__, time.time() - t0), flush=True)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("all batch checks passed")


if __name__ == "__main__":
    main()
