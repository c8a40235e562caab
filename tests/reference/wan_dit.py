"""An independent reference of the Wan diffusion transformer (Wan2.1 T2V/I2V, Wan2.2 TI2V).

Written from the published architecture (docs/neural-reference.md, research notes section 1.2),
as plain functions over a {checkpoint name: tensor} dict, so that nothing is shared with reel's
C++ code. Numerics follow the official model: the sinusoidal timestep embedding and RoPE in
float64, everything else in float32 (or float64 when the weights are float64, for self checks).

`perturb` is a set of names, each changing ONE component to a plausible wrong variant; the
parity tests check that reel's output is far from every perturbed reference (see PERTURBATIONS).
"""
import math

import torch
import torch.nn.functional as F

# Each entry: name -> what the wrong variant does. Forward-pass perturbations only; the sampler
# ones live in flow_samplers.py.
PERTURBATIONS = {
    "sin_first": "timestep embedding [sin, cos] instead of [cos, sin]",
    "rope_halves": "RoPE pairs (x[j], x[j+d/2]) instead of interleaved (x[2j], x[2j+1])",
    "rope_split_off": "RoPE t/h/w split off by one pair (t+1, h-1)",
    "qk_norm_per_head": "RMS qk-norm over each head instead of the full width",
    "cross_mask": "cross-attention masked to the real text tokens",
    "norm3_no_affine": "cross-attention LayerNorm without its weight and bias",
    "mod_swap": "shift and scale of the self-attention modulation swapped",
    "ffn_gelu_exact": "FFN uses exact GELU instead of the tanh approximation",
    "unpatchify_c_first": "unpatchify reads channels as (c, p, q, r) instead of (p, q, r, c)",
    "no_img_attn": "I2V: the decoupled image cross-attention left out",
    "head_e0": "head modulation driven by e0[0] instead of the time embedding e",
}


def rope_pair_split(head_dim, perturb=()):
    """Pairs per axis (t, h, w): head_dim/2 pairs, h and w get (head_dim/2)//3 each."""
    c = head_dim // 2
    split = [c - 2 * (c // 3), c // 3, c // 3]
    if "rope_split_off" in perturb:
        split = [split[0] + 1, split[1] - 1, split[2]]
    return split


def rope_angles(f, h, w, head_dim, perturb=()):
    """[L, head_dim/2] rotation angles in float64; token order (f, h, w), axis channels t|h|w."""
    parts = []
    grids = torch.meshgrid(torch.arange(f, dtype=torch.float64), torch.arange(h, dtype=torch.float64),
                           torch.arange(w, dtype=torch.float64), indexing="ij")
    for pos, pairs in zip(grids, rope_pair_split(head_dim, perturb)):
        axis_dim = 2 * pairs
        inv = 1.0 / torch.pow(torch.tensor(10000.0, dtype=torch.float64),
                              torch.arange(0, axis_dim, 2, dtype=torch.float64) / axis_dim)
        parts.append(pos.reshape(-1, 1) * inv.reshape(1, -1))
    return torch.cat(parts, dim=1)


def apply_rope(x, angles, perturb=()):
    """x [L, heads, head_dim]; rotates pairs by the angles [L, head_dim/2] in float64."""
    dtype = x.dtype
    x = x.to(torch.float64)
    L, n, d = x.shape
    if "rope_halves" in perturb:
        a, b = x[..., : d // 2], x[..., d // 2:]
    else:
        pairs = x.reshape(L, n, d // 2, 2)
        a, b = pairs[..., 0], pairs[..., 1]
    cos = torch.cos(angles).unsqueeze(1)
    sin = torch.sin(angles).unsqueeze(1)
    ra = a * cos - b * sin
    rb = a * sin + b * cos
    if "rope_halves" in perturb:
        out = torch.cat([ra, rb], dim=-1)
    else:
        out = torch.stack([ra, rb], dim=-1).reshape(L, n, d)
    return out.to(dtype)


def timestep_embedding(freq_dim, t, perturb=()):
    """Sinusoidal embedding of t [N] in float64: [cos, sin] with freqs 10000^(-k/half)."""
    half = freq_dim // 2
    t = t.to(torch.float64)
    freqs = torch.pow(torch.tensor(10000.0, dtype=torch.float64),
                      -torch.arange(half, dtype=torch.float64) / half)
    arg = t.reshape(-1, 1) * freqs.reshape(1, -1)
    if "sin_first" in perturb:
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=1)


class Ops:
    """Matmul precision: fp32 (or the weights' dtype), or bf16 inputs with fp32 results (the
    official mixed precision: bf16 matmuls, fp32 norms, modulation and residual stream)."""

    def __init__(self, weights, bf16=False):
        self.w = weights
        self.bf16 = bf16
        self.dtype = next(iter(weights.values())).dtype if not bf16 else torch.float32

    def linear(self, x, name):
        w, b = self.w[name + ".weight"], self.w.get(name + ".bias")
        if self.bf16:
            y = F.linear(x.to(torch.bfloat16), w.to(torch.bfloat16),
                         None if b is None else b.to(torch.bfloat16))
            return y.to(torch.float32)
        return F.linear(x, w, b)

    def linear32(self, x, name):
        """Time embedding and projection stay float32 under mixed precision (official autocast)."""
        w, b = self.w[name + ".weight"], self.w.get(name + ".bias")
        return F.linear(x, w.to(self.dtype), b.to(self.dtype))

    def attention(self, q, k, v, mask=None):
        """q [Lq, n, d], k/v [Lk, n, d] -> [Lq, n*d]; softmax in fp32."""
        if self.bf16:
            q, k, v = (t.to(torch.bfloat16) for t in (q, k, v))
        scores = torch.einsum("qnd,knd->nqk", q, k).to(self.dtype) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores.masked_fill(~mask.reshape(1, 1, -1), float("-inf"))
        p = torch.softmax(scores, dim=-1)
        if self.bf16:
            p = p.to(torch.bfloat16)
        out = torch.einsum("nqk,knd->qnd", p, v).to(self.dtype)
        return out.reshape(out.shape[0], -1)


def rms_norm(x, weight, eps, heads=None):
    if heads is not None:  # perturbation: per-head statistics
        shape = x.shape
        x = x.reshape(*shape[:-1], heads, -1)
        x = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
        return x.reshape(shape) * weight
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight


# LayerNorm and GELU use torch's kernels, as the official code does (self_check.py compares them
# with the textbook formulas); that keeps the speed comparison with reel fair.
def layer_norm(x, eps, weight=None, bias=None):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def gelu_exact(x):
    return F.gelu(x)


def patchify(x, patch):
    """x [C, F, H, W] -> tokens [F'*H'*W', C*pt*ph*pw] in (f, h, w) order, channels (c, p, q, r)."""
    C, Fr, H, W = x.shape
    pt, ph, pw = patch
    x = x.reshape(C, Fr // pt, pt, H // ph, ph, W // pw, pw)
    x = x.permute(1, 3, 5, 0, 2, 4, 6)
    return x.reshape((Fr // pt) * (H // ph) * (W // pw), C * pt * ph * pw), (Fr // pt, H // ph, W // pw)


def unpatchify(tokens, grid, patch, c_out, perturb=()):
    """tokens [L, pt*ph*pw*c_out], channels ordered (p, q, r, c) -> [c_out, F, H, W]."""
    f, h, w = grid
    pt, ph, pw = patch
    if "unpatchify_c_first" in perturb:
        u = tokens.reshape(f, h, w, c_out, pt, ph, pw).permute(3, 0, 4, 1, 5, 2, 6)
    else:
        u = tokens.reshape(f, h, w, pt, ph, pw, c_out).permute(6, 0, 3, 1, 4, 2, 5)
    return u.reshape(c_out, f * pt, h * ph, w * pw)


def self_attention(ops, x, prefix, heads, eps, angles, perturb):
    L, dim = x.shape
    per_head = heads if "qk_norm_per_head" in perturb else None
    q = rms_norm(ops.linear(x, prefix + ".q"), ops.w[prefix + ".norm_q.weight"], eps, per_head)
    k = rms_norm(ops.linear(x, prefix + ".k"), ops.w[prefix + ".norm_k.weight"], eps, per_head)
    v = ops.linear(x, prefix + ".v")
    d = dim // heads
    q = apply_rope(q.reshape(L, heads, d), angles, perturb)
    k = apply_rope(k.reshape(L, heads, d), angles, perturb)
    return ops.linear(ops.attention(q, k, v.reshape(L, heads, d)), prefix + ".o")


def cross_attention(ops, x, prefix, heads, eps, context, text_mask, img_context, perturb):
    L, dim = x.shape
    d = dim // heads
    per_head = heads if "qk_norm_per_head" in perturb else None
    q = rms_norm(ops.linear(x, prefix + ".q"), ops.w[prefix + ".norm_q.weight"], eps, per_head)
    k = rms_norm(ops.linear(context, prefix + ".k"), ops.w[prefix + ".norm_k.weight"], eps, per_head)
    v = ops.linear(context, prefix + ".v")
    q = q.reshape(L, heads, d)
    mask = text_mask if "cross_mask" in perturb else None
    out = ops.attention(q, k.reshape(-1, heads, d), v.reshape(-1, heads, d), mask)
    if img_context is not None and "no_img_attn" not in perturb:
        ki = rms_norm(ops.linear(img_context, prefix + ".k_img"), ops.w[prefix + ".norm_k_img.weight"],
                      eps, per_head)
        vi = ops.linear(img_context, prefix + ".v_img")
        out = out + ops.attention(q, ki.reshape(-1, heads, d), vi.reshape(-1, heads, d))
    return ops.linear(out, prefix + ".o")


def image_embedding(ops, clip_fea):
    """img_emb: LayerNorm(1280) -> Linear -> GELU(exact) -> Linear -> LayerNorm(dim); the two
    LayerNorms are torch.nn.LayerNorm defaults (affine, eps 1e-5)."""
    w = ops.w
    x = layer_norm(clip_fea, 1e-5, w["img_emb.proj.0.weight"], w["img_emb.proj.0.bias"])
    x = gelu_exact(ops.linear(x, "img_emb.proj.1"))
    x = ops.linear(x, "img_emb.proj.3")
    return layer_norm(x, 1e-5, w["img_emb.proj.4.weight"], w["img_emb.proj.4.bias"])


def forward(cfg, weights, x, t, context, clip_fea=None, perturb=(), bf16=False):
    """One DiT forward.

    cfg: publisher config.json keys. weights: {official name: tensor}. x [in_dim, F, H, W];
    t: [1] model timestep (one for all tokens) or [L] per token (TI2V); context [Lc, text_dim]
    real tokens only (zero-padded to text_len here); clip_fea [257, 1280] for i2v.
    Returns [out_dim, F, H, W] in the weights' dtype (float32 under bf16=True).
    """
    perturb = set(perturb)
    unknown = perturb - set(PERTURBATIONS)
    if unknown:
        raise ValueError(f"unknown perturbation(s) {sorted(unknown)}")
    ops = Ops(weights, bf16)
    w = weights
    dt = ops.dtype
    dim, heads, eps = cfg["dim"], cfg["num_heads"], cfg["eps"]
    patch = tuple(cfg.get("patch_size", (1, 2, 2)))
    x = x.to(dt)

    tokens, grid = patchify(x, patch)
    pw = w["patch_embedding.weight"]
    if bf16:
        h = F.linear(tokens.to(torch.bfloat16), pw.reshape(dim, -1).to(torch.bfloat16),
                     w["patch_embedding.bias"].to(torch.bfloat16)).float()
    else:
        h = F.linear(tokens, pw.reshape(dim, -1), w["patch_embedding.bias"])
    L = h.shape[0]

    # Time: e [T, dim] and e0 [T, 6, dim] with T = 1 or L, kept in float32 (fp64 self checks).
    t = t.reshape(-1)
    if t.numel() not in (1, L):
        raise ValueError(f"t has {t.numel()} values; allowed: 1 or one per token ({L})")
    sin = timestep_embedding(cfg["freq_dim"], t, perturb).to(dt)
    e = ops.linear32(F.silu(ops.linear32(sin, "time_embedding.0")), "time_embedding.2")
    e0 = ops.linear32(F.silu(e), "time_projection.1").reshape(-1, 6, dim)

    text_len = cfg["text_len"]
    if context.shape[0] > text_len:
        raise ValueError(f"context has {context.shape[0]} tokens; at most text_len={text_len}")
    padded = torch.zeros(text_len, context.shape[1], dtype=dt)
    padded[: context.shape[0]] = context.to(dt)
    text_mask = torch.arange(text_len) < context.shape[0]
    ctx = ops.linear(gelu_tanh(ops.linear(padded, "text_embedding.0")), "text_embedding.2")
    img_ctx = None
    if cfg.get("model_type", "t2v") == "i2v":
        if clip_fea is None:
            raise ValueError("i2v needs clip_fea [257, 1280]")
        img_ctx = image_embedding(ops, clip_fea.to(dt))

    angles = rope_angles(*grid, dim // heads, perturb)
    for i in range(cfg["num_layers"]):
        p = f"blocks.{i}"
        m = w[p + ".modulation"].reshape(1, 6, dim) + e0  # [T, 6, dim]
        shift, scale, gate = m[:, 0], m[:, 1], m[:, 2]
        if "mod_swap" in perturb:
            shift, scale = scale, shift
        y = self_attention(ops, layer_norm(h, eps) * (1 + scale) + shift, p + ".self_attn",
                           heads, eps, angles, perturb)
        h = h + y * gate
        n3w, n3b = (None, None) if "norm3_no_affine" in perturb else (w[p + ".norm3.weight"],
                                                                      w[p + ".norm3.bias"])
        h = h + cross_attention(ops, layer_norm(h, eps, n3w, n3b), p + ".cross_attn", heads, eps,
                                ctx, text_mask, img_ctx, perturb)
        act = gelu_exact if "ffn_gelu_exact" in perturb else gelu_tanh
        y = ops.linear(act(ops.linear(layer_norm(h, eps) * (1 + m[:, 4]) + m[:, 3], p + ".ffn.0")),
                       p + ".ffn.2")
        h = h + y * m[:, 5]

    head_e = e0[:, 0] if "head_e0" in perturb else e
    hm = w["head.modulation"].reshape(1, 2, dim) + head_e.reshape(-1, 1, dim)
    out = ops.linear(layer_norm(h, eps) * (1 + hm[:, 1]) + hm[:, 0], "head.head")
    return unpatchify(out, grid, patch, cfg["out_dim"], perturb)
