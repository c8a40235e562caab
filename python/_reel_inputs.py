"""Turns what a creator passes into what the reel module takes, or says clearly why not."""
import collections.abc
import difflib
import inspect
import json
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


def refuse_unknown(func, unknown):
    """A misspelt keyword must not be dropped silently: name it and what is allowed."""
    if not unknown:
        return
    allowed = [n for n, p in inspect.signature(func).parameters.items()
               if p.kind is not inspect.Parameter.VAR_KEYWORD]
    hints = []
    for name in sorted(unknown):
        close = difflib.get_close_matches(name, allowed, n=1)
        hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise TypeError(
        f"{func.__module__}.{func.__name__}() got unknown keyword argument"
        f"{'s' if len(hints) > 1 else ''} {', '.join(hints)}; allowed: {', '.join(allowed)}; "
        f"model-specific settings go in extra={{...}}")


def as_extra(extra):
    """extra= (the pipeline step's params.extra) as the JSON text the module takes."""
    if extra is None:
        return "{}"
    if not isinstance(extra, collections.abc.Mapping):
        raise TypeError("extra must be a dict of model-specific settings, e.g. "
                        f"{{'ambient_weather': False}}; got {type(extra).__name__}")
    for key in extra:
        if not isinstance(key, str):
            raise TypeError(f"extra's keys must be strings; got {key!r}")
    try:
        return json.dumps(dict(extra), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError("extra's values must be JSON values (str, int, float, bool, None, "
                        f"lists and dicts of them): {e}") from None


def as_text(value, name):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    return value


def as_optional_int(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    return value


def generate_still(native, func, unknown, prompt, style, width, height, seed, model,
                   negative_prompt, extra):
    """The stills functions' one body: refuse unknown keywords (naming func's), check the
    text and extra arguments, then call the module's `native` generator."""
    refuse_unknown(func, unknown)
    return native(as_text(prompt, "prompt"), style=style or "", width=width, height=height,
                  seed=seed, model=model,
                  negative_prompt=as_text(negative_prompt or "", "negative_prompt"),
                  extra=as_extra(extra))
