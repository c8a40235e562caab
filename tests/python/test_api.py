"""Tests of reel's Python API: the creator's script runs unchanged and yields an MP4
that ffprobe accepts; images and videos expose sizes, fps and NumPy arrays; bad input
raises clear exceptions."""
import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import animator_api
import character_api
import environment_api
import reel

SOURCE = sys.argv[1] if len(sys.argv) > 1 else "."


def ffprobe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
         "stream=width,height,r_frame_rate,nb_read_frames,codec_name,pix_fmt", "-of", "json", path],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["streams"][0]


class SeedScript(unittest.TestCase):
    def test_script_runs_unchanged_and_makes_a_valid_mp4(self):
        tmp = tempfile.mkdtemp()
        try:
            out = os.path.join(tmp, "astronaut_on_mars.mp4")
            sys.argv = ["astronaut_on_mars.py", out]
            runpy.run_path(os.path.join(SOURCE, "examples", "astronaut_on_mars.py"), run_name="__main__")
            s = ffprobe(out)
            self.assertEqual((s["width"], s["height"]), (1280, 720))
            self.assertEqual(s["r_frame_rate"], "24/1")
            self.assertEqual(int(s["nb_read_frames"]), 120)
            self.assertEqual(s["codec_name"], "h264")
            self.assertEqual(s["pix_fmt"], "yuv420p")
            cost = json.load(open(os.path.join(tmp, "astronaut_on_mars.cost.json")))
            self.assertAlmostEqual(cost["video_seconds"], 5.0)
            self.assertEqual(len(cost["steps"]), 3)
        finally:
            shutil.rmtree(tmp)


class ImagesAndVideos(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.character = character_api.generate(prompt="robot, blue", width=320, height=180)
        cls.background = environment_api.generate(prompt="forest at dawn", width=320, height=180)

    def test_image_properties_and_numpy(self):
        img = self.character
        self.assertEqual(img.size, (320, 180))
        arr = img.numpy()
        self.assertEqual(arr.shape, (180, 320, 4))
        self.assertEqual(arr.dtype, np.uint8)
        self.assertTrue((arr[..., 3] == 0).any() and (arr[..., 3] == 255).any())
        self.assertEqual(np.asarray(img).shape, arr.shape)
        bg = self.background.numpy()
        self.assertTrue((bg[..., 3] == 255).all())
        # forest is green-dominant
        self.assertGreater(bg[..., 1].mean(), bg[..., 2].mean())

    def test_video_properties_and_frames(self):
        v = animator_api.animate_from_image(base_image=self.character, background=self.background,
                                            motion="wave", duration=0.5, fps=12)
        self.assertEqual((v.width, v.height, v.frame_count), (320, 180, 6))
        self.assertAlmostEqual(v.fps, 12.0)
        frames = v.numpy()
        self.assertEqual(frames.shape, (6, 180, 320, 4))
        self.assertGreater(np.abs(frames[0].astype(int) - frames[-1].astype(int)).sum(), 0)

    def test_numpy_and_path_inputs(self):
        arr = np.zeros((64, 96, 4), dtype=np.uint8)
        arr[16:48, 32:64] = (200, 50, 50, 255)
        v = animator_api.animate_from_image(base_image=arr, motion="zoom in", duration=0.25, fps=8)
        self.assertEqual((v.width, v.height, v.frame_count), (96, 64, 2))
        tmp = tempfile.mkdtemp()
        try:
            p = os.path.join(tmp, "c.png")
            self.character.save(p)
            v2 = animator_api.animate_from_image(base_image=p, motion="nod", duration=0.25, fps=8)
            self.assertEqual(v2.width, 320)
        finally:
            shutil.rmtree(tmp)

    def test_bad_input_raises_clear_errors(self):
        with self.assertRaisesRegex(reel.ReelError, "InvalidInput.*empty"):
            character_api.generate(prompt="")
        with self.assertRaisesRegex(reel.ReelError, "InvalidInput.*at most"):
            character_api.generate(prompt="x" * 10_000_000)
        with self.assertRaisesRegex(reel.ReelError, "InvalidInput.*duration"):
            animator_api.animate_from_image(base_image=self.character, motion="nod", duration=-1)
        with self.assertRaisesRegex(reel.ReelError, "InvalidInput.*fps"):
            animator_api.animate_from_image(base_image=self.character, motion="nod", fps=0)
        with self.assertRaisesRegex(TypeError, "base_image must be a reel image"):
            animator_api.animate_from_image(base_image=42, motion="nod")
        with self.assertRaisesRegex(reel.ReelError, "NotFound|no such file"):
            animator_api.animate_from_image(base_image="/nonexistent.png", motion="nod")
        with self.assertRaisesRegex(reel.ReelError, "InvalidInput"):
            animator_api.animate_from_image(base_image=np.zeros((4, 4), dtype=np.float32))


class StepParams(unittest.TestCase):
    """Every param a pipeline step takes reaches the model from Python (docs/pipelines.md),
    and a misspelt one is refused, never dropped."""

    @classmethod
    def setUpClass(cls):
        cls.character = character_api.generate(prompt="robot, blue", width=96, height=96)
        # A dust storm background: studio-animator adds ambient dust unless told not to.
        cls.storm = environment_api.generate(prompt="surface of mars, dust storm", width=160,
                                             height=96)

    def animate(self, **kw):
        return animator_api.animate_from_image(base_image=self.character, background=self.storm,
                                               motion="subtle head turn", duration=0.5, fps=8, **kw)

    def test_extra_reaches_the_model(self):
        default = self.animate()
        calm = self.animate(extra={"ambient_weather": False})
        self.assertTrue(any("ambient_weather" in n for n in default.notes), default.notes)
        self.assertFalse(any("ambient_weather" in n for n in calm.notes), calm.notes)
        # The dust is gone from the frames, not only from the notes.
        diff = np.abs(default.numpy().astype(int) - calm.numpy().astype(int)).mean()
        self.assertGreater(diff, 0.1)
        # extra is part of the step, so it is part of the cache key and the lineage.
        self.assertNotEqual(default.cost["steps"][-1]["key"], calm.cost["steps"][-1]["key"])

    def test_crf_and_preset_reach_the_encoder(self):
        tmp = tempfile.mkdtemp()
        try:
            sizes = {}
            for crf in (4, 45):
                path = os.path.join(tmp, f"crf{crf}.mp4")
                self.animate(crf=crf, preset="ultrafast").save(path)
                sizes[crf] = os.path.getsize(path)
            self.assertLess(sizes[45] * 2, sizes[4], sizes)
        finally:
            shutil.rmtree(tmp)
        with self.assertRaisesRegex(reel.ReelError, "preset 'bogus'.*allowed: ultrafast"):
            self.animate(preset="bogus")
        with self.assertRaisesRegex(TypeError, "crf must be an integer"):
            self.animate(crf=18.5)

    def test_stills_take_negative_prompt_and_extra(self):
        for api in (character_api, environment_api):
            img = api.generate(prompt="robot on a beach", negative_prompt="blurry", extra={},
                               width=64, height=64)
            self.assertEqual(img.size, (64, 64))

    def test_substitute_from_python_draws_the_closest_match(self):
        # The studio models refuse what they cannot draw; extra={"substitute": True} is the
        # pipeline file's extra.substitute, and the note says what was drawn instead.
        with self.assertRaisesRegex(reel.ReelError, "cannot draw.*docs/studio.md"):
            character_api.generate(prompt="product shot of a perfume bottle", width=64, height=64)
        img = character_api.generate(prompt="product shot of a perfume bottle", width=64,
                                     height=64, extra={"substitute": True})
        self.assertEqual(img.size, (64, 64))
        self.assertTrue(any("closest match" in n for n in img.notes), img.notes)

    def test_unknown_keywords_are_refused_naming_the_allowed_ones(self):
        with self.assertRaisesRegex(TypeError, r"unknown keyword argument 'extras' \(did you mean "
                                    r"'extra'\?\); allowed: base_image, .*crf, preset, extra"):
            self.animate(extras={"ambient_weather": False})
        for api in (character_api, environment_api):
            with self.assertRaisesRegex(TypeError, r"'negativ_prompt' \(did you mean 'negative_"
                                        r"prompt'\?\); allowed: prompt, style, .*extra"):
                api.generate(prompt="robot", negativ_prompt="blurry")

    def test_extra_must_be_a_mapping_of_json_values(self):
        with self.assertRaisesRegex(TypeError, "extra must be a dict.*got list"):
            self.animate(extra=["ambient_weather"])
        with self.assertRaisesRegex(TypeError, "extra's values must be JSON values"):
            character_api.generate(prompt="robot", extra={"tags": {1, 2}})
        with self.assertRaisesRegex(TypeError, "extra's keys must be strings"):
            environment_api.generate(prompt="forest", extra={1: True})


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
