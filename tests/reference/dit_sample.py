#!/usr/bin/python3
"""The reference's counterpart of `reel neural dit-sample`: a full flow-matching run.

  dit_sample.py --config C.json --weights W.safetensors --inputs SAMPLE_IN.safetensors
                --out OUT.safetensors --solver euler|unipc --steps N --shift S --guidance G

SAMPLE_IN holds noise [C,F,H,W], context, context_null, and clip_fea + cond (i2v) or
first_frame (ti2v); OUT holds x0 [C,F,H,W].
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dit_forward  # noqa: E402
import flow_samplers  # noqa: E402
import safetensors_io  # noqa: E402
import wan_dit  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("config", "weights", "inputs", "out"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--solver", choices=["euler", "unipc"], default="unipc")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--shift", type=float, default=5.0)
    ap.add_argument("--guidance", type=float, default=5.0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", choices=["fp32"], default="fp32")
    ap.add_argument("--perturb", default="", help="sampler perturbations, comma separated")
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)
    cfg.setdefault("text_dim", 4096)
    weights = dit_forward.load_weights(cfg, a.weights)
    s_in = {k: v.float() for k, v in safetensors_io.load(a.inputs).items()}

    def model(x, t, cond):
        x_in = torch.cat([x, s_in["cond"]]) if "cond" in s_in else x
        ctx = s_in["context"] if cond else s_in["context_null"]
        t = t if torch.is_tensor(t) else torch.tensor([t])
        return wan_dit.forward(cfg, weights, x_in, t, ctx, s_in.get("clip_fea"))

    with torch.no_grad():
        x0 = flow_samplers.sample(model, s_in["noise"], a.steps, a.shift, a.guidance, a.solver,
                                  perturb={p for p in a.perturb.split(",") if p},
                                  first_frame=s_in.get("first_frame"),
                                  patch=tuple(cfg.get("patch_size", (1, 2, 2))))
    safetensors_io.save(a.out, {"x0": x0.float()})


if __name__ == "__main__":
    main()
