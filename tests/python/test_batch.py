#!/usr/bin/python3
"""reel.batch from Python (issue 15, item 4): rows as a list of dicts or a file, the
manifest rows returned, resume on a re-run, bad rows reported with their line, strict."""
import json
import os
import sys
import tempfile

out = tempfile.mkdtemp(prefix="reel-pybatch-")
# A fresh store, so the first batch computes every step it needs (set before reel's
# default session opens its store).
os.environ["REEL_HOME"] = os.path.join(out, "home")
import reel  # noqa: E402

SOURCE = sys.argv[1]
TEMPLATE = os.path.join(SOURCE, "examples", "catalogue.yaml")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


rows = [{"sku": "A", "subject": "robot", "motion": "wave", "seconds": 1},
        {"sku": "B", "subject": "astronaut, white suit", "motion": "nod", "seconds": 1},
        {"sku": "C", "subject": "robot", "motion": "spin", "seconds": 999},   # out of range
        {"sku": "D", "motion": "spin", "seconds": 1}]                          # no subject
m = reel.batch(TEMPLATE, rows, out=out, jobs=2, name="{{sku}}")
by = {e["key"]: e for e in m}
check(by["A"]["status"] == "succeeded" and os.path.exists(by["A"]["output"]), "row A rendered")
check(by["B"]["status"] == "succeeded", "row B rendered")
# The backdrop is shared: computed for one row, a cache hit for the other.
check(by["A"]["executed"] + by["B"]["executed"] == 5, "shared backdrop computed once: %s" % m)
bad = [e for e in m if e["status"] == "invalid"]
check(sorted(e["line"] for e in bad) == [3, 4], "invalid rows 3 and 4: %s" % bad)
check(any("duration" in e["error"] for e in bad), "the range is named")
check(any("subject" in e["error"] for e in bad), "the missing column is named")

again = reel.batch(TEMPLATE, rows[:2], out=out, name="{{sku}}")
check(all(e["status"] == "succeeded" for e in again if e["key"] in "AB"), "re-run keeps rows")
lines = [json.loads(l) for l in open(os.path.join(out, "batch.jsonl")) if l.strip()]
check(sum(1 for l in lines if l["key"] == "A" and l["status"] == "succeeded") == 1,
      "a re-run renders nothing again")

try:
    reel.batch(TEMPLATE, rows, out=out + "-strict", strict=True, name="{{sku}}")
    check(False, "strict refuses")
except reel.ReelError as e:
    check("line 3" in str(e) and "line 4" in str(e), "strict lists the bad lines: %s" % e)

if failures:
    sys.exit(1)
print("reel.batch: all checks passed")
