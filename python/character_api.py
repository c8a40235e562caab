"""Generate a character still: character_api.generate(prompt=..., style="4k")."""
import reel


def generate(prompt, style="", width=0, height=0, seed=0, model="studio-character"):
    """Return a reel.Image (RGBA with alpha, depth and a rig for the animator)."""
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a string, got {type(prompt).__name__}")
    return reel.character_generate(prompt, style=style or "", width=width, height=height,
                                   seed=seed, model=model)
