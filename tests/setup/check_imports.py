"""Every module reel's Python and Node code imports must come from the standard library,
the project itself, or a package `scripts/setup` installs — so a fresh machine set up by
that script runs every test (issue 13: two tests once needed PIL, which only the
developers' machines had).

Python: every `import` in the repository's .py files and in the Python heredocs of its
shell scripts (`<<'PY'` … `PY`), found with `ast`; a third-party module is located with
/usr/bin/python3's importlib (not imported) and its file mapped to a Debian package with
`dpkg -S`; that package must be one `scripts/setup` lists. Node: every bare specifier in
the .mjs/.js files outside node_modules must be a Node built-in or a dependency in the
package.json beside it (installed by `npm ci` from its lockfile, which setup runs).

  check_imports.py [--extra FILE ...]   exit 0 when all are accounted for, 1 otherwise
  (--extra adds files outside git, for the checker's own negative test)
"""
import argparse
import ast
import importlib.util
import json
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE_BUILTINS = {"assert", "buffer", "child_process", "crypto", "events", "fs", "http", "https",
                 "module", "net", "os", "path", "process", "stream", "url", "util", "zlib",
                 "worker_threads", "readline", "timers", "tls", "dns"}


def git_files(*patterns):
    out = subprocess.run(["git", "-C", ROOT, "ls-files", *patterns], capture_output=True,
                         text=True, check=True).stdout.split()
    return [os.path.join(ROOT, f) for f in out]


def setup_packages():
    text = open(os.path.join(ROOT, "scripts", "setup")).read()
    m = re.search(r"packages=\((.*?)\)", text, re.S)
    return {w for line in m.group(1).splitlines() for w in line.split("#")[0].split()}


def python_sources(extra):
    """(where, source text) for every .py file and Python heredoc in shell scripts."""
    for path in git_files("*.py") + [e for e in extra if e.endswith(".py")]:
        yield path, open(path, encoding="utf-8").read()
    for path in git_files("scripts/*", "tests/*", "tools/*") + [e for e in extra
                                                              if not e.endswith(".py")]:
        if path.endswith((".py", ".cpp", ".hpp", ".json", ".md")) or not os.path.isfile(path):
            continue
        try:
            text = open(path, encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        for i, m in enumerate(re.finditer(r"<<'PY'\n(.*?)\nPY\n", text, re.S)):
            yield "%s (heredoc %d)" % (path, i + 1), m.group(1)


def imported_modules(source, where):
    names = set()
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def project_modules():
    """Module names the project provides: its .py files and its pybind11 module."""
    names = {os.path.splitext(os.path.basename(p))[0] for p in git_files("*.py")}
    for cm in git_files("*CMakeLists.txt"):
        for m in re.finditer(r"OUTPUT_NAME\s+(\w+)", open(cm).read()):
            names.add(m.group(1))
    return names


def debian_package_of(module):
    """The Debian package that holds `module` for /usr/bin/python3, or why there is none."""
    probe = ("import importlib.util, sys; s = importlib.util.find_spec(sys.argv[1]); "
             "print(s.origin if s and s.origin else (list(s.submodule_search_locations)[0] "
             "if s and s.submodule_search_locations else ''))")
    r = subprocess.run(["/usr/bin/python3", "-c", probe, module], capture_output=True, text=True)
    origin = r.stdout.strip()
    if r.returncode != 0 or not origin:
        return None, "not importable by /usr/bin/python3"
    d = subprocess.run(["dpkg", "-S", os.path.realpath(origin)], capture_output=True, text=True)
    if d.returncode != 0:
        return None, "%s belongs to no Debian package" % origin
    return d.stdout.split(":")[0].strip(), origin


def check_python(extra, setup, problems):
    stdlib = set(sys.stdlib_module_names)
    ours = project_modules()
    seen = {}
    for where, source in python_sources(extra):
        for name in imported_modules(source, where):
            if name in stdlib or name in ours or name == "__future__":
                continue
            seen.setdefault(name, []).append(os.path.relpath(where, ROOT))
    for name, where in sorted(seen.items()):
        package, detail = debian_package_of(name)
        if package is None:
            problems.append("python module '%s' (%s): %s" % (name, where[0], detail))
        elif package not in setup:
            problems.append("python module '%s' (%s) comes from Debian package %s, which "
                            "scripts/setup does not install" % (name, where[0], package))
        else:
            print("ok: python %s <- %s" % (name, package))


def check_node(extra, problems):
    files = [f for f in git_files("*.mjs", "*.js") if "node_modules" not in f]
    files += [e for e in extra if e.endswith((".mjs", ".js"))]
    for path in files:
        pkg_json = os.path.join(os.path.dirname(path), "package.json")
        deps = set()
        if os.path.exists(pkg_json):
            j = json.load(open(pkg_json))
            deps = set(j.get("dependencies", {})) | set(j.get("devDependencies", {}))
        text = open(path, encoding="utf-8").read()
        specs = re.findall(r"""(?:from\s+|import\s*\(\s*|require\(\s*|^import\s+)['"]([^'"]+)['"]""",
                           text, re.M)
        for spec in specs:
            if spec.startswith((".", "/")):
                continue
            base = spec[5:] if spec.startswith("node:") else spec
            if spec.startswith("node:") or base.split("/")[0] in NODE_BUILTINS:
                continue
            name = "/".join(spec.split("/")[:2]) if spec.startswith("@") else spec.split("/")[0]
            if name in deps:
                print("ok: node %s <- %s" % (name, os.path.relpath(pkg_json, ROOT)))
            else:
                problems.append("node module '%s' (%s) is in no package.json beside it, so "
                                "scripts/setup's npm ci does not install it"
                                % (name, os.path.relpath(path, ROOT)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--extra", nargs="*", default=[])
    args = ap.parse_args()
    problems = []
    check_python([os.path.abspath(e) for e in args.extra], setup_packages(), problems)
    check_node([os.path.abspath(e) for e in args.extra], problems)
    for p in problems:
        print("MISSING FROM SETUP: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
