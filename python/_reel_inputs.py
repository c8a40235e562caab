"""Turns what a creator passes as an image into a reel.Image, or says clearly why not."""
import os

import reel


def as_image(value, name):
    if isinstance(value, reel.Image):
        return value
    if isinstance(value, (str, os.PathLike)):
        return reel.Image.from_file(os.fspath(value))
    if hasattr(value, "__array_interface__") and hasattr(value, "shape"):
        return reel.Image.from_numpy(value)
    raise TypeError(
        f"{name} must be a reel image (from character_api.generate or environment_api.generate), "
        f"a path to a PNG/JPEG file, or a (height, width, 3|4) uint8 numpy array; "
        f"got {type(value).__name__}")
