#!/usr/bin/python3
"""The reference's counterpart of `reel neural dit-forward`: one Wan DiT forward.

  dit_forward.py --config CONFIG.json --weights W.safetensors --inputs IN.safetensors
                 --out OUT.safetensors [--dtype fp32|bf16] [--perturb a,b]

Same files as reel's command (official or diffusers-style weight names); OUT holds y.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_case  # noqa: E402
import safetensors_io  # noqa: E402
import wan_dit  # noqa: E402


def load_weights(cfg, path):
    """{official name: fp32 tensor}, accepting the diffusers-style aliases too."""
    raw = safetensors_io.load(path)
    official = make_case.weight_shapes(cfg)
    by_alias = {make_case.alias_name(k): k for k in official}
    out = {}
    for name, t in raw.items():
        key = name if name in official else by_alias.get(name)
        if key is None:
            raise SystemExit(f"{path}: unexpected tensor {name}")
        out[key] = t.float()
    missing = sorted(set(official) - set(out))
    if missing:
        raise SystemExit(f"{path}: missing {missing[:5]}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--perturb", default="")
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)
    cfg.setdefault("text_dim", 4096)
    weights = load_weights(cfg, a.weights)
    inp = {k: v.float() for k, v in safetensors_io.load(a.inputs).items()}
    perturb = {p for p in a.perturb.split(",") if p}
    with torch.no_grad():
        y = wan_dit.forward(cfg, weights, inp["x"], inp["t"], inp["context"], inp.get("clip_fea"),
                            perturb=perturb, bf16=a.dtype == "bf16")
    safetensors_io.save(a.out, {"y": y.float()})


if __name__ == "__main__":
    main()
