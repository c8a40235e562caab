#!/usr/bin/python3
"""Checks of the reference against itself and against closed-form facts (no reel involved).

Run: /usr/bin/python3 tests/reference/self_check.py   (exit status 0 when every check holds)
"""
import math
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flow_samplers  # noqa: E402
import make_case  # noqa: E402
import safetensors_io  # noqa: E402
import wan_dit  # noqa: E402

FAILURES = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f"  ({detail})" if detail else ""))
    if not ok:
        FAILURES.append(name)


def safetensors_round_trip():
    gen = torch.Generator().manual_seed(1)
    tensors = {"a": torch.randn(3, 5, generator=gen), "b": torch.randn(7, generator=gen).bfloat16(),
               "c": torch.randn(2, 2, 2, generator=gen).half(), "scalar": torch.tensor([4.0])}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.safetensors")
        safetensors_io.save(path, tensors, {"format": "pt"})
        back = safetensors_io.load(path)
        raw = open(path, "rb").read()
    same = all(back[k].dtype == v.dtype and torch.equal(back[k], v) for k, v in tensors.items())
    check("safetensors round trip F32/BF16/F16", same and set(back) == set(tensors))
    n = int.from_bytes(raw[:8], "little")
    check("safetensors header is 8-aligned JSON", n % 8 == 0 and raw[8:9] == b"{")
    # bf16 bytes are the high half of the fp32 pattern (little endian)
    x = torch.tensor([1.0, -2.5]).bfloat16()
    check("bf16 bytes", safetensors_io._to_bytes(x) == bytes([0x80, 0x3F, 0x20, 0xC0]))


def rope_facts():
    gen = torch.Generator().manual_seed(2)
    d = 128
    split = wan_dit.rope_pair_split(d)
    check("RoPE split 22/21/21 pairs (44/42/42 dims) at head_dim 128", split == [22, 21, 21])
    check("RoPE split at head_dim 32", wan_dit.rope_pair_split(32) == [6, 5, 5])
    ang = wan_dit.rope_angles(3, 4, 5, d)
    q = torch.randn(60, 2, d, generator=gen, dtype=torch.float64)
    rq = wan_dit.apply_rope(q, ang)
    check("RoPE preserves norms", torch.allclose(rq.norm(dim=-1), q.norm(dim=-1), atol=1e-12))
    check("RoPE at position (0,0,0) is identity", torch.allclose(rq[0], q[0], atol=1e-15))
    # relative property: <R(p) a, R(p') b> depends on p - p' only (shift every axis by one)
    a = torch.randn(1, 1, d, generator=gen, dtype=torch.float64)
    b = torch.randn(1, 1, d, generator=gen, dtype=torch.float64)
    ang_full = wan_dit.rope_angles(3, 4, 5, d)
    def idx(f, h, w):
        return (f * 4 + h) * 5 + w
    def dot(p, r):
        return float((wan_dit.apply_rope(a, ang_full[p:p + 1]) * wan_dit.apply_rope(b, ang_full[r:r + 1])).sum())
    d1 = dot(idx(1, 2, 3), idx(0, 1, 1))
    d2 = dot(idx(2, 3, 4), idx(1, 2, 2))
    check("RoPE is relative", abs(d1 - d2) < 1e-10, f"{d1} vs {d2}")
    # the t axis uses frequencies 10000^(-2j/44) on channels 0..43
    check("RoPE t frequency", abs(float(ang_full[idx(1, 0, 0), 1]) - 10000 ** (-2 / 44)) < 1e-15)
    check("RoPE h channels start at pair 22", abs(float(ang_full[idx(0, 1, 0), 22]) - 1.0) < 1e-15
          and float(ang_full[idx(0, 1, 0), 21]) == 0.0)


def timestep_facts():
    e = wan_dit.timestep_embedding(256, torch.tensor([0.0, 10.0]))
    check("timestep embedding is [cos, sin]", torch.equal(e[0, :128], torch.ones(128))
          and torch.equal(e[0, 128:], torch.zeros(128)))
    check("timestep embedding frequency 10000^(-k/128)",
          abs(float(e[1, 129]) - math.sin(10 * 10000 ** (-1 / 128))) < 1e-15)


def forward_facts():
    for kind in ("t2v", "i2v", "ti2v"):
        cfg = make_case.config_for(kind)
        gen = torch.Generator().manual_seed(3)
        w32 = make_case.random_weights(cfg, gen)
        inputs, _ = make_case.forward_inputs(kind, cfg, gen)
        w64 = {k: v.double() for k, v in w32.items()}
        args = (inputs["x"], inputs["t"], inputs["context"], inputs.get("clip_fea"))
        y32 = wan_dit.forward(cfg, w32, *args)
        y64 = wan_dit.forward(cfg, w64, *[None if a is None else a.double() for a in args])
        err = float((y32.double() - y64).abs().max())
        check(f"{kind}: fp32 reference within 2e-5 of fp64", err < 2e-5, f"{err:.2e}")
        check(f"{kind}: output shape", list(y32.shape) == [cfg["out_dim"], *make_case.LATENT])
    # per-token t with equal values equals the scalar t
    cfg = make_case.config_for("ti2v")
    gen = torch.Generator().manual_seed(4)
    w = make_case.random_weights(cfg, gen)
    inputs, _ = make_case.forward_inputs("ti2v", cfg, gen)
    L = inputs["t"].numel()
    a = wan_dit.forward(cfg, w, inputs["x"], torch.full((L,), 500.0), inputs["context"])
    b = wan_dit.forward(cfg, w, inputs["x"], torch.tensor([500.0]), inputs["context"])
    err = float((a - b).abs().max())
    check("per-token t, all equal == scalar t", err < 1e-5, f"{err:.1e}")
    # padding context with zero rows up to text_len changes nothing (the official padding)
    c_pad = torch.cat([inputs["context"], torch.zeros(3, cfg["text_dim"])])
    c = wan_dit.forward(cfg, w, inputs["x"], torch.tensor([500.0]), c_pad)
    check("explicit zero padding == implicit", float((c - b).abs().max()) < 1e-6)
    # unpatchify inverts a (p, q, r, c)-ordered patchify
    x = torch.randn(5, 3, 4, 6, generator=gen)
    tok, grid = wan_dit.patchify(x, (1, 2, 2))  # channels (c, p, q, r)
    tok = tok.reshape(-1, 5, 1, 2, 2).permute(0, 2, 3, 4, 1).reshape(tok.shape[0], -1)
    check("unpatchify inverts patchify", torch.equal(wan_dit.unpatchify(tok, grid, (1, 2, 2), 5), x))
    # the patch embedding as a linear map equals the Conv3d of the official code
    conv = torch.nn.functional.conv3d(inputs["x"].unsqueeze(0), w["patch_embedding.weight"],
                                      w["patch_embedding.bias"], stride=(1, 2, 2))
    tok, _ = wan_dit.patchify(inputs["x"], (1, 2, 2))
    lin = torch.nn.functional.linear(tok, w["patch_embedding.weight"].reshape(cfg["dim"], -1),
                                     w["patch_embedding.bias"])
    check("patch embedding == Conv3d", torch.allclose(conv[0].flatten(1).T, lin, atol=1e-5))
    # attention equals torch's MultiheadAttention core (softmax(q k^T / sqrt(d)) v)
    q = torch.randn(7, 2, 8, generator=gen)
    k = torch.randn(9, 2, 8, generator=gen)
    v = torch.randn(9, 2, 8, generator=gen)
    ref = torch.stack([torch.softmax(q[:, h] @ k[:, h].T / math.sqrt(8), -1) @ v[:, h] for h in range(2)], 1)
    out = wan_dit.Ops(w).attention(q, k, v)
    check("attention", torch.allclose(out, ref.reshape(7, 16), atol=1e-6))
    tanh_formula = 0.5 * q * (1 + torch.tanh(math.sqrt(2 / math.pi) * (q + 0.044715 * q ** 3)))
    check("gelu_tanh == formula", torch.allclose(wan_dit.gelu_tanh(q), tanh_formula, atol=1e-6))
    erf_formula = 0.5 * q * (1 + torch.erf(q / math.sqrt(2)))
    check("gelu_exact == formula", torch.allclose(wan_dit.gelu_exact(q), erf_formula, atol=1e-6))
    mu = q.mean(-1, keepdim=True)
    ln_formula = (q - mu) / torch.sqrt(((q - mu) ** 2).mean(-1, keepdim=True) + 1e-6)
    check("layer_norm == formula", torch.allclose(wan_dit.layer_norm(q, 1e-6), ln_formula, atol=1e-5))


def sampler_facts():
    sig, ts = flow_samplers.schedule(4, 5.0)
    # shift 5 on linspace(0.999, 0, 5)[:-1]: sigma' = 5s/(1+4s); timestep trunc(sigma'*1000)
    s0 = 5 * flow_samplers.SIGMA_MAX / (1 + 4 * flow_samplers.SIGMA_MAX)
    check("schedule: first sigma and timestep", abs(sig[0] - s0) < 1e-7 and ts[0] == math.trunc(s0 * 1000),
          f"{sig[0]} {ts[0]}")
    check("schedule ends at 0 with N+1 sigmas", sig[-1] == 0.0 and len(sig) == 5 and len(ts) == 4)
    # A Gaussian data set x0 ~ N(0, s^2): the exact velocity is linear and the ODE solution from
    # sigma_max to 0 scales the noise by s / sqrt(V(sigma_max)), V(sigma) = (1-sigma)^2 s^2 + sigma^2.
    s = 0.5
    noise = torch.randn(1000, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    errors = {}
    for solver in ("euler", "unipc"):
        for steps in (10, 20, 40):
            sigmas, _ = flow_samplers.schedule(steps, 3.0)
            exact = noise * s / math.sqrt((1 - sigmas[0]) ** 2 * s * s + sigmas[0] ** 2)

            def vel(x, t, i, sigmas=sigmas):
                sigma = sigmas[i]
                var = (1 - sigma) ** 2 * s * s + sigma * sigma
                return ((sigma - (1 - sigma) * s * s) / var) * x
            run = flow_samplers.euler if solver == "euler" else flow_samplers.unipc
            x = run(vel, noise, sigmas, list(range(steps)))
            errors[(solver, steps)] = float((x - exact).abs().max())
    detail = ", ".join(f"{k[0]}@{k[1]}: {v:.1e}" for k, v in errors.items())
    check("Euler converges at first order", errors[("euler", 10)] / errors[("euler", 20)] > 1.6, detail)
    check("UniPC converges faster than first order",
          errors[("unipc", 10)] / errors[("unipc", 20)] > 3.0
          and errors[("unipc", 20)] / errors[("unipc", 40)] > 3.0)
    check("UniPC beats Euler at 20 steps", errors[("unipc", 20)] < 0.3 * errors[("euler", 20)])
    # CFG with guidance 1 is the conditional velocity
    c, u = torch.tensor([1.0, 2.0]), torch.tensor([3.0, -1.0])
    check("CFG", torch.equal(flow_samplers.cfg_combine(c, u, 1.0), c)
          and torch.equal(flow_samplers.cfg_combine(c, u, 5.0), u + 5 * (c - u)))


if __name__ == "__main__":
    torch.set_num_threads(1)
    safetensors_round_trip()
    rope_facts()
    timestep_facts()
    forward_facts()
    sampler_facts()
    print("FAILED: " + ", ".join(FAILURES) if FAILURES else "all reference self checks hold")
    sys.exit(1 if FAILURES else 0)
