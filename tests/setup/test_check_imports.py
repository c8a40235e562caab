"""The import guard (check_imports.py) passes on the repository and fails, naming the
module, when a test imports something scripts/setup does not install."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_imports.py")


def run(*extra):
    args = [sys.executable, CHECK] + (["--extra", *extra] if extra else [])
    return subprocess.run(args, capture_output=True, text=True)


class ImportGuard(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="reel-imports-")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_every_import_in_the_repository_comes_from_setup(self):
        r = run()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # It looked at the third-party modules the tests do use.
        for used in ("python torch <- python3-torch", "python PIL <- python3-pil",
                     "node @contentauth/c2pa-wasm"):
            self.assertIn(used, r.stdout)

    def test_a_module_nothing_installs_fails(self):
        r = run(self.write("t.py", "def f():\n    import reel_no_such_module_xyz\n"))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("'reel_no_such_module_xyz'", r.stdout)

    def test_a_module_installed_by_hand_but_not_by_setup_fails(self):
        # python3-jwt is on some machines (a dependency of other tools), never in setup:
        # either it is not importable or it belongs to a package setup does not list.
        r = run(self.write("t.py", "from jwt import encode\n"))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("python module 'jwt'", r.stdout)

    def test_a_heredoc_in_a_shell_script_is_checked(self):
        r = run(self.write("bench", "#!/bin/sh\npython3 - <<'PY'\nimport reel_missing_in_heredoc\nPY\n"))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("'reel_missing_in_heredoc'", r.stdout)

    def test_a_node_module_outside_package_json_fails(self):
        r = run(self.write("v.mjs", "import leftPad from 'left-pad';\nimport fs from 'node:fs';\n"))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("node module 'left-pad'", r.stdout)
        self.assertNotIn("'fs'", r.stdout)


if __name__ == "__main__":
    unittest.main()
