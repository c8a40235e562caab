"""Animate a still over a background: animator_api.animate_from_image(base_image=..., background=..., motion=...)."""
import reel
from _reel_inputs import as_image


def animate_from_image(base_image, background=None, motion="", duration=5.0, fps=24.0,
                       width=0, height=0, seed=0, model="studio-animator"):
    """Return a reel.Video; video.save("x.mp4") writes the MP4 and x.cost.json.

    model="wan2.2-ti2v-5b" animates with Wan2.2-TI2V-5B (the composited still is the first
    frame, motion the text prompt); it needs REEL_MODELS pointing at the folder holding
    Wan2.2-TI2V-5B/ (docs/models.md)."""
    base = as_image(base_image, "base_image")
    bg = None if background is None else as_image(background, "background")
    if not isinstance(motion, str):
        raise TypeError(f"motion must be a string, got {type(motion).__name__}")
    return reel.animate_from_image(base, bg, motion, float(duration), float(fps), int(width),
                                   int(height), int(seed), model)
