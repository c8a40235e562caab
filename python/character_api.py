"""Generate a character still: character_api.generate(prompt=..., style="4k")."""
import reel
from _reel_inputs import as_extra, as_text, refuse_unknown


def generate(prompt, style="", width=0, height=0, seed=0, model="studio-character",
             negative_prompt="", extra=None, **unknown):
    """Return a reel.Image (RGBA with alpha, depth and a rig for the animator).

    The params are a pipeline step's (docs/pipelines.md, text_to_image); extra is a dict
    of model-specific settings passed to the model untouched. Ctrl-C stops the render
    and raises KeyboardInterrupt."""
    refuse_unknown(generate, unknown)
    return reel.character_generate(as_text(prompt, "prompt"), style=style or "", width=width,
                                   height=height, seed=seed, model=model,
                                   negative_prompt=as_text(negative_prompt or "", "negative_prompt"),
                                   extra=as_extra(extra))
