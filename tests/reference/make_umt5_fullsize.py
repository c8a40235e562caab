#!/usr/bin/python3
"""umT5-XXL full-size parity check for reel (tests/neural/umt5_fullsize_test.cpp).

  make_umt5_fullsize.py --out DIR [--layers N]

DIR/dense.pth             BF16 random weights in the official layout and names, XXL widths
                          (dim 4096, 64 heads, ffn 10240, vocab 256384) and N layers (default
                          24, the real encoder: 11.4 GB, a ZIP64 archive; 2 gives 2.9 GB)
DIR/dense_config.json     reel t5 config for dense.pth
DIR/dense_expected.safetensors   ids, mask [2, 24]; y [2, 24, 4096] from the reference in BF16
                          and y_fp32 from it in fp32 on the same (BF16-valued) weights
Peak memory: the BF16 weights (11.4 GB at 24 layers) plus one fp32 chunk.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import umt5  # noqa: E402

XXL = dict(vocab=256384, dim=4096, dim_attn=4096, dim_ffn=10240, num_heads=64, num_layers=24,
           num_buckets=32, max_distance=128, eps=1e-6)


def shapes(cfg):
    d, a, f = cfg["dim"], cfg["dim_attn"], cfg["dim_ffn"]
    out = {"token_embedding.weight": (cfg["vocab"], d)}
    for i in range(cfg["num_layers"]):
        p = "blocks.%d." % i
        out.update({p + "norm1.weight": (d,), p + "attn.q.weight": (a, d),
                    p + "attn.k.weight": (a, d), p + "attn.v.weight": (a, d),
                    p + "attn.o.weight": (d, a), p + "norm2.weight": (d,),
                    p + "ffn.gate.0.weight": (f, d), p + "ffn.fc1.weight": (f, d),
                    p + "ffn.fc2.weight": (d, f),
                    p + "pos_embedding.embedding.weight": (cfg["num_buckets"], cfg["num_heads"])})
    out["norm.weight"] = (d,)
    return out


def randn_bf16(shape, std, mean, gen, rows=8192):
    """Random BF16 tensor filled a chunk of rows at a time (no full-size fp32 copy)."""
    t = torch.empty(shape, dtype=torch.bfloat16)
    flat = t.view(shape[0], -1)
    for s in range(0, shape[0], rows):
        e = min(shape[0], s + rows)
        flat[s:e] = (torch.randn(e - s, flat.shape[1], generator=gen) * std + mean).to(torch.bfloat16)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=24)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_grad_enabled(False)

    cfg = dict(XXL, num_layers=args.layers)
    gen = torch.Generator().manual_seed(11)
    w = {}
    for name, shape in shapes(cfg).items():
        if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
            std, mean = 0.2, 1.0
        elif name == "token_embedding.weight":
            std, mean = 1.0, 0.0
        elif name.endswith("pos_embedding.embedding.weight"):
            std, mean = 1.0, 0.0
        elif name.endswith("attn.q.weight") or name.endswith("attn.k.weight"):
            # T5 does not scale attention: unit-variance q and k would give logits of std 8,
            # a one-hot softmax, and a chaotic net where BF16 rounding alone decides the
            # output after 24 layers. Trained weights keep logits moderate; so do these (std 0.5).
            std, mean = 0.25 * shape[1] ** -0.5, 0.0
        else:
            std, mean = shape[1] ** -0.5, 0.0
        w[name] = randn_bf16(shape, std, mean, gen)
    torch.save(w, os.path.join(args.out, "dense.pth"))
    with open(os.path.join(args.out, "dense_config.json"), "w") as fh:
        json.dump(cfg, fh)

    ids = torch.randint(0, cfg["vocab"], (2, 24), generator=gen)
    ids[0, 0], ids[0, 1] = 0, cfg["vocab"] - 1  # the embedding's first and last rows
    mask = torch.ones(2, 24, dtype=torch.long)
    mask[1, 9:] = 0
    y = umt5.encode(w, cfg, ids, mask)
    # The same weights computed in fp32 (each upcast when used, never all at once): the
    # yardstick for how far any BF16 run may drift over 24 layers.
    y32 = umt5.encode(_Fp32View(w), cfg, ids, mask)
    safetensors_io.save(os.path.join(args.out, "dense_expected.safetensors"),
                        {"ids": ids, "mask": mask, "y": y, "y_fp32": y32})


class _Rows:
    def __init__(self, t):
        self.t = t

    def __getitem__(self, index):
        return self.t[index].float()


class _Fp32View:
    """Read-only view of BF16 weights that hands out fp32 copies (the embedding by rows)."""

    def __init__(self, w):
        self.w = w

    def __getitem__(self, name):
        if name == "token_embedding.weight":
            return _Rows(self.w[name])
        return self.w[name].float()


if __name__ == "__main__":
    main()
