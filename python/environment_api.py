"""Generate an environment still: environment_api.generate(prompt=...)."""
import reel
from _reel_inputs import generate_still


def generate(prompt, style="", width=0, height=0, seed=0, model="studio-environment",
             negative_prompt="", extra=None, **unknown):
    """Return a reel.Image (RGB with depth and the key light).

    The params are a pipeline step's (docs/pipelines.md, text_to_image); extra is a dict
    of model-specific settings passed to the model untouched. Ctrl-C stops the render
    and raises KeyboardInterrupt."""
    return generate_still(reel.environment_generate, generate, unknown, prompt, style, width,
                          height, seed, model, negative_prompt, extra)
