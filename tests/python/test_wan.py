"""The Wan models from Python: animator_api.animate_from_image(model="wan2.2-ti2v-5b") runs
the real reel-neural child on a tiny checkpoint folder (tests/reference/make_wan_folder.py).
REEL_NEURAL_BIN is left unset on purpose: the module must find build/bin/reel-neural from
its own location (build/python). Missing weights are a clear NotFound naming the file."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = sys.argv[1] if len(sys.argv) > 1 else "."
MODELS = tempfile.mkdtemp(prefix="reel-wan-py-")
atexit.register(shutil.rmtree, MODELS, ignore_errors=True)
for kind, name in (("ti2v", "Wan2.2-TI2V-5B"), ("t2v", "Wan2.1-T2V-1.3B")):
    subprocess.run([sys.executable, os.path.join(SOURCE, "tests/reference/make_wan_folder.py"),
                    "--kind", kind, "--out", os.path.join(MODELS, name), "--seed", "1"],
                   check=True, capture_output=True)
# The default session reads these when the module first uses it.
os.environ["REEL_MODELS"] = MODELS
os.environ["REEL_NO_SIGN"] = "1"
os.environ.pop("REEL_NEURAL_BIN", None)

import animator_api  # noqa: E402
import character_api  # noqa: E402
import environment_api  # noqa: E402
import reel  # noqa: E402


class Wan(unittest.TestCase):
    def test_models_list_wan_with_weights_status(self):
        cards = {m["id"]: m for m in reel.models()}
        self.assertEqual(cards["wan2.2-ti2v-5b"]["training_data"], "undisclosed")
        self.assertIs(cards["wan2.2-ti2v-5b"]["availability"]["available"], True)
        self.assertIn("weights: found at", cards["wan2.2-ti2v-5b"]["availability"]["reason"])
        self.assertIs(cards["wan2.1-t2v-14b"]["availability"]["available"], False)
        self.assertEqual(cards["wan2.1-t2v-14b"]["availability"]["needs"],
                         ["weights:Wan2.1-T2V-14B"])
        self.assertIn(os.path.join(MODELS, "Wan2.1-T2V-14B", "config.json"),
                      cards["wan2.1-t2v-14b"]["availability"]["reason"])

    def test_animate_from_image_with_ti2v(self):
        c = character_api.generate(prompt="female astronaut", width=128, height=64, seed=1)
        b = environment_api.generate(prompt="surface of Mars", width=128, height=64, seed=1)
        v = animator_api.animate_from_image(base_image=c, background=b, motion="subtle head turn",
                                            duration=5 / 24, fps=24, width=64, height=64, seed=5,
                                            model="wan2.2-ti2v-5b")
        self.assertEqual(v.frame_count, 5)
        self.assertEqual((v.width, v.height), (64, 64))
        frames = v.numpy()
        self.assertEqual(frames.shape[:3], (5, 64, 64))

    def test_missing_weights_name_the_file(self):
        c = character_api.generate(prompt="astronaut", width=64, height=64, seed=2)
        vae = os.path.join(MODELS, "Wan2.2-TI2V-5B", "Wan2.2_VAE.pth")
        os.rename(vae, vae + ".away")
        try:
            with self.assertRaises(Exception) as e:
                # A motion prompt: Wan's request contract refuses an empty one first.
                animator_api.animate_from_image(base_image=c, motion="slow pan", width=64,
                                                height=64, seed=9, model="wan2.2-ti2v-5b")
        finally:
            os.rename(vae + ".away", vae)
        self.assertIn("NotFound", str(e.exception))
        self.assertIn(vae, str(e.exception))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
