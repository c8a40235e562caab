"""Generate a character still: character_api.generate(prompt=..., style="4k")."""
import reel
from _reel_inputs import generate_still


def generate(prompt, style="", width=0, height=0, seed=0, model="studio-character",
             negative_prompt="", extra=None, **unknown):
    """Return a reel.Image (RGBA with alpha, depth and a rig for the animator).

    The params are a pipeline step's (docs/pipelines.md, text_to_image); extra is a dict
    of model-specific settings passed to the model untouched. Ctrl-C stops the render
    and raises KeyboardInterrupt."""
    return generate_still(reel.character_generate, generate, unknown, prompt, style, width, height, seed,
                          model, negative_prompt, extra)
