#!/usr/bin/python3
"""Docs that run: every `sh` and `python` block in README.md and docs/*.md is executed, in
file order, against the real build (build/bin/reel, build/python) with a scratch
$REEL_HOME, and must exit 0 (or the exit a directive documents). Every fenced block must
name its language, so a shell example cannot hide as an untagged block; synopses and
diagrams are `text`.

Directives, in HTML comments on the lines right before a block (visible in the source,
invisible on the rendered page):
  <!-- doc-test: skip REASON why -->   not run; REASON is one of SKIP_REASONS
  <!-- doc-test: expect-exit N -->     the documented failure's exit code
  <!-- doc-test: before SHELL -->      runs first, in the same shell (test-only setup)
  <!-- doc-test: sub A => B -->        textual replacement (a placeholder made concrete;
                                       $DOC_PORT is a free loopback port)

Usage: test_doc_blocks.py SOURCE_DIR BUILD_DIR [FILE.md ...]"""
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

# What may keep a block from running here; anything else must run.
SKIP_REASONS = {
    "gpu": "needs a CUDA device (CI has none)",
    "weights": "needs a real Wan checkpoint (gigabytes, not in the repository)",
    "accounts": "needs hosted-provider accounts (the providers' doubles run the same "
                "examples in ProvidersCli.TheHostedExamplesRun)",
    "build": "configures or builds a tree, which this test runs inside of",
    "tests": "runs tests that CTest runs anyway (the block says which)",
}
RUNNABLE = {"sh", "bash", "python"}
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
DIRECTIVE = re.compile(r"^<!-- doc-test: (skip|expect-exit|before|sub) (.*?) -->\s*$")
BLOCK_SECONDS = 300


class Block:
    def __init__(self, path, line, lang, body, directives):
        self.path, self.line, self.lang, self.body = path, line, lang, body
        self.directives = directives

    def where(self):
        return "%s:%d" % (self.path, self.line)


def parse(path, rel):
    """The fenced blocks of one Markdown file, with the directives above each."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, problems, i = [], [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2)
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if j == len(lines):
            problems.append("%s:%d: a code block is never closed" % (rel, i + 1))
            break
        directives, k = [], i - 1
        while k >= 0 and lines[k].startswith("<!-- doc-test:"):
            d = DIRECTIVE.match(lines[k])
            if not d:
                problems.append("%s:%d: unknown doc-test directive %r (allowed: skip, "
                                "expect-exit, before, sub)" % (rel, k + 1, lines[k]))
            else:
                directives.insert(0, (d.group(1), d.group(2)))
            k -= 1
        if not lang:
            problems.append("%s:%d: a code block names no language (```sh, ```python, "
                            "```text, ```json, ...)" % (rel, i + 1))
        body = "\n".join(l[len(indent):] if l.startswith(indent) else l for l in lines[i + 1:j])
        blocks.append(Block(rel, i + 1, lang, body, directives))
        i = j + 1
    return blocks, problems


def workspace(source, build, root):
    """A scratch copy of the checkout's shape: the repository's files by symlink, the real
    build, `reel` and Debian's python3 first on PATH, outputs kept inside."""
    for name in os.listdir(source):
        if name in ("build", "out", ".git") or name.startswith("build-"):
            continue
        os.symlink(os.path.join(source, name), os.path.join(root, name))
    os.symlink(build, os.path.join(root, "build"))
    bin_dir = os.path.join(root, ".doc-bin")
    os.makedirs(bin_dir)
    os.symlink(os.path.join(build, "bin", "reel"), os.path.join(bin_dir, "reel"))
    os.symlink("/usr/bin/python3", os.path.join(bin_dir, "python3"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("REEL_") and k != "PYTHONPATH"}
    env.update(PATH=bin_dir + os.pathsep + env.get("PATH", "/usr/bin:/bin"),
               REEL_HOME=os.path.join(root, ".reel-home"), REEL_PROGRESS="0", HOME=root,
               DOC_PORT=str(free_port()))
    return env


def free_port():
    """A loopback port for a block that starts a server (`sub 127.0.0.1:8080 => ...`)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def script_of(block):
    body = block.body
    before = []
    for kind, value in block.directives:
        if kind == "sub":
            a, sep, b = value.partition(" => ")
            if not sep or a not in body:
                raise ValueError("sub %r: %s" % (value, "needs 'A => B'" if not sep
                                                 else "the block does not contain it"))
            body = body.replace(a, b)
        elif kind == "before":
            before.append(value)
    if block.lang == "python":
        if before:
            raise ValueError("'before' is for shell blocks")
        return ["/usr/bin/python3", "-c", body]
    return ["bash", "-e", "-o", "pipefail", "-c", "\n".join(before + [body])]


def run(block, root, env):
    expect = 0
    for kind, value in block.directives:
        if kind == "expect-exit":
            expect = int(value)
    argv = script_of(block)
    run_env = dict(env)
    if block.lang == "python":
        run_env["PYTHONPATH"] = os.path.join(root, "build", "python") + os.pathsep + \
            os.path.join(root, "python")
    # Output to a file, not a pipe: a server the block started with & holds the pipe open.
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(argv, cwd=root, env=run_env, stdout=log, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            code = proc.wait(timeout=BLOCK_SECONDS)
        except subprocess.TimeoutExpired:
            code = "timeout (%d s)" % BLOCK_SECONDS
        finally:
            try:  # what the block left running (a server started with &) ends with it
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            proc.wait()
        log.seek(0)
        out = log.read()
    return code == expect, code, expect, out


def main():
    source, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    files = sys.argv[3:] or ["README.md"] + sorted(
        os.path.relpath(p, source) for p in glob.glob(os.path.join(source, "docs", "*.md")))
    problems, blocks = [], []
    for rel in files:
        b, p = parse(os.path.join(source, rel), rel)
        blocks += b
        problems += p
    runnable = [b for b in blocks if b.lang in RUNNABLE]
    ran = skipped = 0
    with tempfile.TemporaryDirectory(prefix="reel_doc_blocks_") as root:
        env = workspace(source, build, root)
        for b in runnable:
            skip = [v for k, v in b.directives if k == "skip"]
            if skip:
                reason = skip[0].split(" ", 1)[0]
                if reason not in SKIP_REASONS:
                    problems.append("%s: skip reason %r is not one of %s" %
                                    (b.where(), reason, ", ".join(sorted(SKIP_REASONS))))
                else:
                    print("skip %s (%s)" % (b.where(), SKIP_REASONS[reason]))
                    skipped += 1
                continue
            try:
                ok, code, expect, out = run(b, root, env)
            except ValueError as e:
                problems.append("%s: %s" % (b.where(), e))
                continue
            ran += 1
            print("%s %s (exit %s)" % ("ok  " if ok else "FAIL", b.where(), code), flush=True)
            if not ok:
                tail = "\n".join(out.strip().split("\n")[-25:])
                problems.append("%s: exit %s, expected %s; the block:\n%s\noutput (last lines):\n%s"
                                % (b.where(), code, expect, b.body, tail))
    print("%d blocks: %d run, %d skipped for a reason, %d text/json/cpp/yaml shown only" %
          (len(blocks), ran, skipped, len(blocks) - len(runnable)))
    for p in problems:
        print("PROBLEM " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
