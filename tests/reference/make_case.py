#!/usr/bin/python3
"""Writes one tiny, seeded Wan DiT test case: config, random weights, inputs, and the reference
outputs (exact, bf16-emulated and one per perturbation) for reel's parity tests.

  make_case.py --kind t2v|i2v|ti2v --out DIR [--aliases] [--seed N]
               [--sample --steps N --shift S --guidance G]

DIR/config.json           publisher config.json keys (+ text_dim)
DIR/weights.safetensors   F32 weights under the official names (diffusers names with --aliases)
DIR/inputs.safetensors    x [in_dim,F,H,W], t [1] (ti2v: [L] per token, frame-0 tokens at 0,
                          unless --scalar-t),
                          context [Lc,text_dim] (real tokens only), clip_fea [257,1280] for i2v
DIR/expected.safetensors  y (fp32 reference), y_bf16ref (the reference under bf16 matmuls),
                          perturbed.<name> (y with one component changed)
DIR/meta.json             sizes and the reference's own bf16 error
With --sample also (and expected.safetensors then holds y only):
DIR/sample_inputs.safetensors    noise [C,F,H,W], context, context_null (+ clip_fea, cond [in-C,F,H,W]
                                 for i2v; first_frame [C,1,H,W] for ti2v)
DIR/sample_expected.safetensors  euler, unipc, and <solver>.perturbed.<name>
DIR/sample.json                  steps, shift, guidance, solvers
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flow_samplers  # noqa: E402
import safetensors_io  # noqa: E402
import wan_dit  # noqa: E402

TINY = {"dim": 64, "ffn_dim": 128, "freq_dim": 256, "num_heads": 2, "num_layers": 2,
        "text_len": 16, "text_dim": 32, "eps": 1e-6, "patch_size": [1, 2, 2]}
KINDS = {  # latent channels C, in_dim, out_dim
    "t2v": (4, 4, 4),
    "i2v": (4, 12, 4),  # noise C + mask 4 + image latent C, as Wan2.1-I2V's 16 + 4 + 16
    "ti2v": (8, 8, 8),
}
LATENT = (3, 8, 8)  # F, H, W -> 3 x 4 x 4 = 48 tokens
CONTEXT_TOKENS = 5
CLIP_TOKENS, CLIP_DIM = 257, 1280


def config_for(kind):
    c, in_dim, out_dim = KINDS[kind]
    cfg = dict(TINY)
    cfg.update({"model_type": kind, "in_dim": in_dim, "out_dim": out_dim})
    return cfg


def weight_shapes(cfg):
    """{official name: shape} for a config (the official module tree, section 1.3)."""
    d, f, td, fd = cfg["dim"], cfg["ffn_dim"], cfg["text_dim"], cfg["freq_dim"]
    pt, ph, pw = cfg["patch_size"]
    s = {
        "patch_embedding.weight": [d, cfg["in_dim"], pt, ph, pw], "patch_embedding.bias": [d],
        "text_embedding.0.weight": [d, td], "text_embedding.0.bias": [d],
        "text_embedding.2.weight": [d, d], "text_embedding.2.bias": [d],
        "time_embedding.0.weight": [d, fd], "time_embedding.0.bias": [d],
        "time_embedding.2.weight": [d, d], "time_embedding.2.bias": [d],
        "time_projection.1.weight": [6 * d, d], "time_projection.1.bias": [6 * d],
        "head.head.weight": [pt * ph * pw * cfg["out_dim"], d],
        "head.head.bias": [pt * ph * pw * cfg["out_dim"]],
        "head.modulation": [1, 2, d],
    }
    for i in range(cfg["num_layers"]):
        p = f"blocks.{i}."
        for attn in ("self_attn", "cross_attn"):
            for proj in "qkvo":
                s[p + f"{attn}.{proj}.weight"] = [d, d]
                s[p + f"{attn}.{proj}.bias"] = [d]
            s[p + f"{attn}.norm_q.weight"] = [d]
            s[p + f"{attn}.norm_k.weight"] = [d]
        s[p + "norm3.weight"] = [d]
        s[p + "norm3.bias"] = [d]
        s[p + "ffn.0.weight"] = [f, d]
        s[p + "ffn.0.bias"] = [f]
        s[p + "ffn.2.weight"] = [d, f]
        s[p + "ffn.2.bias"] = [d]
        s[p + "modulation"] = [1, 6, d]
        if cfg["model_type"] == "i2v":
            for proj in ("k_img", "v_img"):
                s[p + f"cross_attn.{proj}.weight"] = [d, d]
                s[p + f"cross_attn.{proj}.bias"] = [d]
            s[p + "cross_attn.norm_k_img.weight"] = [d]
    if cfg["model_type"] == "i2v":
        s.update({"img_emb.proj.0.weight": [CLIP_DIM], "img_emb.proj.0.bias": [CLIP_DIM],
                  "img_emb.proj.1.weight": [CLIP_DIM, CLIP_DIM], "img_emb.proj.1.bias": [CLIP_DIM],
                  "img_emb.proj.3.weight": [d, CLIP_DIM], "img_emb.proj.3.bias": [d],
                  "img_emb.proj.4.weight": [d], "img_emb.proj.4.bias": [d]})
    return s


def random_weights(cfg, gen, dtype=torch.float32):
    """Seeded weights scaled so every activation stays O(1): a wrong component shows."""
    out = {}
    for name, shape in weight_shapes(cfg).items():
        if name.endswith("modulation"):
            t = torch.randn(shape, generator=gen) / cfg["dim"] ** 0.5
        elif name.endswith("weight") and ("norm" in name or name.startswith(("img_emb.proj.0.",
                                                                             "img_emb.proj.4."))):
            t = 1.0 + 0.2 * torch.randn(shape, generator=gen)
        elif name.endswith("bias"):
            t = 0.1 * torch.randn(shape, generator=gen)
        else:
            fan_in = 1
            for n in shape[1:]:
                fan_in *= n
            t = torch.randn(shape, generator=gen) / fan_in ** 0.5
        out[name] = t.to(dtype)
    return out


# Official -> diffusers-format names (applied in order to each key; norm2/norm3 swap by placeholder).
ALIASES = [
    ("time_embedding.0", "condition_embedder.time_embedder.linear_1"),
    ("time_embedding.2", "condition_embedder.time_embedder.linear_2"),
    ("text_embedding.0", "condition_embedder.text_embedder.linear_1"),
    ("text_embedding.2", "condition_embedder.text_embedder.linear_2"),
    ("time_projection.1", "condition_embedder.time_proj"),
    ("img_emb.proj.0", "condition_embedder.image_embedder.norm1"),
    ("img_emb.proj.1", "condition_embedder.image_embedder.ff.net.0.proj"),
    ("img_emb.proj.3", "condition_embedder.image_embedder.ff.net.2"),
    ("img_emb.proj.4", "condition_embedder.image_embedder.norm2"),
    ("head.modulation", "scale_shift_table"),
    ("head.head", "proj_out"),
    (".modulation", ".scale_shift_table"),
    ("self_attn.", "attn1."),
    ("cross_attn.", "attn2."),
    (".q.", ".to_q."), (".k.", ".to_k."), (".v.", ".to_v."), (".o.", ".to_out.0."),
    (".k_img.", ".add_k_proj."), (".v_img.", ".add_v_proj."), (".norm_k_img.", ".norm_added_k."),
    ("ffn.0.", "ffn.net.0.proj."), ("ffn.2.", "ffn.net.2."),
    ("norm3.", "norm2."),  # official norm3 (cross-attention, affine) is diffusers' norm2
]


def alias_name(name):
    for old, new in ALIASES:
        name = name.replace(old, new)
    return name


def forward_inputs(kind, cfg, gen, scalar_t=False):
    c = KINDS[kind][0]
    Fr, H, W = LATENT
    L = Fr * (H // 2) * (W // 2)
    inputs = {"x": torch.randn(cfg["in_dim"], Fr, H, W, generator=gen),
              "context": torch.randn(CONTEXT_TOKENS, cfg["text_dim"], generator=gen)}
    if kind == "ti2v" and not scalar_t:
        # Wan2.2 TI2V: frame-0 tokens (the given image) at t = 0, all others at t.
        t = torch.full((L,), 731.0)
        t[: L // Fr] = 0.0
        inputs["t"] = t
    else:
        inputs["t"] = torch.tensor([731.0])
    if kind == "i2v":
        inputs["clip_fea"] = torch.randn(CLIP_TOKENS, CLIP_DIM, generator=gen)
    return inputs, c


def write_forward_case(kind, out, aliases, seed, scalar_t=False, extras=True):
    """extras: also the bf16-emulated and perturbed outputs (the forward tests need them)."""
    gen = torch.Generator().manual_seed(seed)
    cfg = config_for(kind)
    weights = random_weights(cfg, gen)
    inputs, _ = forward_inputs(kind, cfg, gen, scalar_t)

    def run(perturb=(), bf16=False):
        return wan_dit.forward(cfg, weights, inputs["x"], inputs["t"], inputs["context"],
                               inputs.get("clip_fea"), perturb=perturb, bf16=bf16).float()

    y = run()
    expected = {"y": y}
    if extras:
        expected["y_bf16ref"] = run(bf16=True)
        for name in wan_dit.PERTURBATIONS:
            if name == "no_img_attn" and kind != "i2v":
                continue
            expected["perturbed." + name] = run(perturb={name})
    saved = {alias_name(k) if aliases else k: v for k, v in weights.items()}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    safetensors_io.save(os.path.join(out, "weights.safetensors"), saved)
    safetensors_io.save(os.path.join(out, "inputs.safetensors"), inputs)
    safetensors_io.save(os.path.join(out, "expected.safetensors"), expected)
    meta = {"kind": kind, "seed": seed, "aliases": aliases, "y_max_abs": float(y.abs().max())}
    if extras:
        meta["bf16_ref_max_abs_err"] = float((expected["y_bf16ref"] - y).abs().max())
        meta["perturbed_min_max_abs_diff"] = min(float((v - y).abs().max())
                                                 for k, v in expected.items() if k.startswith("perturbed."))
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return cfg, weights, gen


def write_sample_case(kind, out, cfg, weights, gen, steps, shift, guidance,
                      solvers=("euler", "unipc")):
    c = KINDS[kind][0]
    Fr, H, W = LATENT
    s_in = {"noise": torch.randn(c, Fr, H, W, generator=gen),
            "context": torch.randn(CONTEXT_TOKENS, cfg["text_dim"], generator=gen),
            "context_null": torch.randn(CONTEXT_TOKENS - 2, cfg["text_dim"], generator=gen)}
    if kind == "i2v":
        s_in["clip_fea"] = torch.randn(CLIP_TOKENS, CLIP_DIM, generator=gen)
        s_in["cond"] = torch.randn(cfg["in_dim"] - c, Fr, H, W, generator=gen)
    if kind == "ti2v":
        s_in["first_frame"] = torch.randn(c, 1, H, W, generator=gen)

    def model(x, t, cond):
        x_in = torch.cat([x, s_in["cond"]]) if kind == "i2v" else x
        ctx = s_in["context"] if cond else s_in["context_null"]
        t = t if torch.is_tensor(t) else torch.tensor([t])
        return wan_dit.forward(cfg, weights, x_in, t, ctx, s_in.get("clip_fea"))

    expected = {}
    for solver in solvers:
        first = s_in.get("first_frame")
        expected[solver] = flow_samplers.sample(model, s_in["noise"], steps, shift, guidance,
                                                solver, first_frame=first).float()
        for name in flow_samplers.SAMPLER_PERTURBATIONS:
            if name == "no_corrector" and solver != "unipc":
                continue
            if name == "sigma_max_one" and solver != "euler":
                continue
            expected[f"{solver}.perturbed.{name}"] = flow_samplers.sample(
                model, s_in["noise"], steps, shift, guidance, solver, perturb={name},
                first_frame=first).float()
        if first is not None:  # frame 0 left to the sampler instead of re-inserted
            expected[f"{solver}.perturbed.no_first_frame"] = flow_samplers.sample(
                model, torch.cat([first, s_in["noise"][:, 1:]], dim=1), steps, shift, guidance,
                solver).float()
    sigmas, timesteps = flow_samplers.schedule(steps, shift)
    safetensors_io.save(os.path.join(out, "sample_inputs.safetensors"), s_in)
    safetensors_io.save(os.path.join(out, "sample_expected.safetensors"), expected)
    with open(os.path.join(out, "sample.json"), "w") as f:
        json.dump({"steps": steps, "shift": shift, "guidance": guidance, "sigmas": sigmas,
                   "timesteps": timesteps, "solvers": list(solvers)}, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=sorted(KINDS), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--aliases", action="store_true", help="save weights under diffusers-style names")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--scalar-t", action="store_true", help="ti2v: one t for all tokens (t [1])")
    ap.add_argument("--sample", action="store_true", help="also write a full sampler case")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--shift", type=float, default=5.0)
    ap.add_argument("--guidance", type=float, default=5.0)
    ap.add_argument("--solvers", default="euler,unipc", help="sampler results to write")
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    cfg, weights, gen = write_forward_case(a.kind, a.out, a.aliases, a.seed, a.scalar_t,
                                           extras=not a.sample)
    if a.sample:
        write_sample_case(a.kind, a.out, cfg, weights, gen, a.steps, a.shift, a.guidance,
                          tuple(a.solvers.split(",")))


if __name__ == "__main__":
    main()
