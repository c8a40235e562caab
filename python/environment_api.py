"""Generate an environment still: environment_api.generate(prompt=...)."""
import reel


def generate(prompt, style="", width=0, height=0, seed=0, model="studio-environment"):
    """Return a reel.Image (RGB with depth and the key light)."""
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a string, got {type(prompt).__name__}")
    return reel.environment_generate(prompt, style=style or "", width=width, height=height,
                                     seed=seed, model=model)
