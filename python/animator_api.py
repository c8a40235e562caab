"""Animate a still over a background: animator_api.animate_from_image(base_image=..., background=..., motion=...)."""
import reel
from _reel_inputs import as_extra, as_image, as_optional_int, as_text, refuse_unknown


def animate_from_image(base_image, background=None, motion="", duration=5.0, fps=24.0,
                       width=0, height=0, seed=0, model="studio-animator", crf=None, preset=None,
                       extra=None, **unknown):
    """Return a reel.Video; video.save("x.mp4") writes the MP4 and x.cost.json.

    The params are a pipeline step's (docs/pipelines.md, image_to_video): crf (0..51) and
    preset set the H.264 encoding; extra is a dict of model-specific settings passed to the
    model untouched, e.g. extra={"ambient_weather": False} for studio-animator. Ctrl-C
    stops the render and raises KeyboardInterrupt, with nothing written.

    model="wan2.2-ti2v-5b" animates with Wan2.2-TI2V-5B (the composited still is the first
    frame, motion the text prompt); it needs REEL_MODELS pointing at the folder holding
    Wan2.2-TI2V-5B/ (docs/models.md)."""
    refuse_unknown(animate_from_image, unknown)
    base = as_image(base_image, "base_image")
    bg = None if background is None else as_image(background, "background")
    return reel.animate_from_image(base, bg, as_text(motion, "motion"), float(duration),
                                   float(fps), int(width), int(height), int(seed), model,
                                   as_optional_int(crf, "crf"),
                                   "" if preset is None else as_text(preset, "preset"),
                                   as_extra(extra))
