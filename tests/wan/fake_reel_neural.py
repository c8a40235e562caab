#!/usr/bin/python3
"""Test double for `reel-neural generate` (interfaces: the checkpoint folder and
`reel-neural generate`). It speaks the child protocol without any model, so the Wan
adapter's process handling can be tested on its own:

  fake_reel_neural.py generate --folder DIR --request REQ.json --out OUT.safetensors
                      --device D [--dtype T] [--offload] [--tile PX [--overlap PX]]

Frames are a seeded pattern (same seed, same frames); for i2v, frame 0 is the PNG the
request names (later frames shift it), so a test can check what the adapter composited. FAKE_WAN_MODE picks a
behaviour: ok (default), fail (NotFound error line, exit 4), hang (progress, then
sleeps until killed), hang_ignore_term (ignores SIGTERM: only SIGKILL ends it),
bad_shape (one frame too few). FAKE_WAN_PIDFILE, when set, receives the pid, and
FAKE_WAN_ARGS the argv as JSON.
"""
import argparse
import json
import os
import signal
import struct
import sys
import time

import numpy as np


def write_safetensors(path, frames, metadata):
    data = frames.astype(np.uint8).tobytes()
    header = {"frames": {"dtype": "U8", "shape": list(frames.shape),
                         "data_offsets": [0, len(data)]},
              "__metadata__": {k: str(v) for k, v in metadata.items()}}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    os.replace(tmp, path)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    if len(sys.argv) < 2 or sys.argv[1] != "generate":
        sys.stderr.write('{"error": {"kind": "InvalidInput", "message": "fake: only generate"}}\n')
        return 2
    p = argparse.ArgumentParser()
    for a in ("--folder", "--request", "--out", "--device"):
        p.add_argument(a, required=True)
    p.add_argument("--dtype")
    p.add_argument("--offload", action="store_true")
    p.add_argument("--tile", type=int)
    p.add_argument("--overlap", type=int)
    args = p.parse_args(sys.argv[2:])
    mode = os.environ.get("FAKE_WAN_MODE", "ok")
    if os.environ.get("FAKE_WAN_PIDFILE"):
        with open(os.environ["FAKE_WAN_PIDFILE"], "w") as f:
            f.write(str(os.getpid()))
    if os.environ.get("FAKE_WAN_ARGS"):
        with open(os.environ["FAKE_WAN_ARGS"], "w") as f:
            json.dump(sys.argv, f)
    with open(args.request) as f:
        req = json.load(f)
    if mode == "fail":
        sys.stderr.write(json.dumps({"error": {"kind": "NotFound", "message":
                                               "fake: missing " + args.folder + "/config.json"}})
                         + "\n")
        return 4
    emit({"progress": 0.0, "message": "loading"})
    if mode in ("hang", "hang_ignore_term"):
        if mode == "hang_ignore_term":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(1)
    t, h, w = req["frames"], req["height"], req["width"]
    steps = req["steps"]
    for i in range(steps):
        emit({"progress": (i + 1) / (steps + 1), "message": f"step {i + 1}/{steps}"})
    rng = np.random.default_rng(req["seed"])
    base = rng.integers(0, 256, size=(1, 1, 1, 3))
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.empty((t, h, w, 3), dtype=np.uint8)
    for k in range(t):
        for c in range(3):
            frames[k, :, :, c] = (base[0, 0, 0, c] + xx + 2 * yy + 3 * k) % 256
    if req["task"] == "i2v":
        from PIL import Image
        img = np.asarray(Image.open(req["image"]).convert("RGB"))
        if img.shape != (h, w, 3):
            sys.stderr.write(f"fake: image is {img.shape}, request says {h}x{w}\n")
            return 2
        # Later frames move the still sideways, as an image-to-video clip would.
        for k in range(t):
            frames[k] = np.roll(img, 2 * k, axis=1)
    if mode == "bad_shape":
        frames = frames[:-1] if t > 1 else frames[:, :-1]
    timings = {"t5_seconds": 0.5, "dit_seconds": 0.25 * steps, "dit_steps": steps,
               "vae_seconds": 1.0, "total_seconds": 3.0 + 0.25 * steps,
               "device": args.device, "dtype": args.dtype or "f32"}
    write_safetensors(args.out, frames, timings)
    emit(dict({"done": True}, **timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
