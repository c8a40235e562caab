#!/usr/bin/python3
"""An independent plain-torch umT5 encoder (Wan's text encoder) for reel's parity tests,
written from the architecture description (docs/neural.md, research §1.6), not from reel's
C++. Weights are a dict of tensors under the official Wan .pth names.

Options select deliberate mistakes (`Variant`) so tests can show reel does NOT match them.
"""
import html
import math
import re
from dataclasses import dataclass

import torch


@dataclass
class Variant:
    scale_attention: bool = False   # divide scores by sqrt(head_dim) (T5 does not)
    shared_pos: bool = False        # layer 0's bias table in every layer (T5 v1.1, not umT5)
    unidirectional: bool = False    # decoder-style buckets
    naive_buckets: bool = False     # buckets from double-precision log, bucket = min(|d|, n-1)
    gelu_erf: bool = False          # exact GELU instead of the tanh form
    eps: float = 1e-6               # RMSNorm epsilon
    ignore_mask: bool = False       # pad keys attended to
    no_final_norm: bool = False


def bucket_of(d, num_buckets, max_distance, variant=Variant()):
    """The relative-position bucket of a key d positions after the query (d < 0: before)."""
    if variant.naive_buckets:
        return min(abs(d), num_buckets - 1)
    if variant.unidirectional:
        n, base, dist = num_buckets, 0, max(-d, 0)
    else:
        n = num_buckets // 2
        base = n if d > 0 else 0
        dist = abs(d)
    exact = n // 2
    if dist < exact:
        return base + dist
    # float32 arithmetic, as the official torch code computes it
    f = torch.tensor(dist, dtype=torch.float32) / exact
    v = torch.log(f) / math.log(max_distance / exact) * (n - exact)
    return base + min(exact + int(v.item()), n - 1)


def bucket_table(lq, lk, num_buckets, max_distance, variant=Variant()):
    """[lq, lk] relative-position bucket of key j seen from query i."""
    by_d = {d: bucket_of(d, num_buckets, max_distance, variant) for d in range(-(lq - 1), lk)}
    return torch.tensor([[by_d[j - i] for j in range(lk)] for i in range(lq)], dtype=torch.long)


def rms(x, w, eps):
    xf = x.float()
    y = xf / torch.sqrt(xf.square().mean(-1, keepdim=True) + eps)
    return w * y.to(w.dtype)


def gelu(x, variant):
    if variant.gelu_erf:
        return torch.nn.functional.gelu(x)
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def encode(weights, cfg, ids, mask, variant=Variant()):
    """ids, mask [B, L] → [B, L, dim] float32. Runs in the weights' dtype."""
    b, length = ids.shape
    heads = cfg["num_heads"]
    hd = cfg["dim_attn"] // heads
    x = weights["token_embedding.weight"][ids]
    buckets = bucket_table(length, length, cfg["num_buckets"], cfg["max_distance"], variant)
    neg = torch.finfo(x.dtype).min
    keep = mask.bool()[:, None, None, :]  # [B, 1, 1, Lk]
    for i in range(cfg["num_layers"]):
        p = "blocks.%d." % i
        table = weights[("blocks.0." if variant.shared_pos else p) + "pos_embedding.embedding.weight"]
        bias = table[buckets].permute(2, 0, 1)[None]  # [1, heads, L, L]
        h = rms(x, weights[p + "norm1.weight"], variant.eps)
        q = (h @ weights[p + "attn.q.weight"].t()).reshape(b, length, heads, hd).transpose(1, 2)
        k = (h @ weights[p + "attn.k.weight"].t()).reshape(b, length, heads, hd).transpose(1, 2)
        v = (h @ weights[p + "attn.v.weight"].t()).reshape(b, length, heads, hd).transpose(1, 2)
        s = q @ k.transpose(-1, -2)
        if variant.scale_attention:
            s = s / math.sqrt(hd)
        s = s + bias
        if not variant.ignore_mask:
            s = s.masked_fill(~keep, neg)
        a = torch.softmax(s.float(), dim=-1).to(x.dtype) @ v
        a = a.transpose(1, 2).reshape(b, length, heads * hd)
        x = x + a @ weights[p + "attn.o.weight"].t()
        h = rms(x, weights[p + "norm2.weight"], variant.eps)
        g = gelu(h @ weights[p + "ffn.gate.0.weight"].t(), variant)
        f = (h @ weights[p + "ffn.fc1.weight"].t()) * g
        x = x + f @ weights[p + "ffn.fc2.weight"].t()
    if not variant.no_final_norm:
        x = rms(x, weights["norm.weight"], variant.eps)
    return x.float()


HF_BLOCK = {
    "attn.q.weight": "layer.0.SelfAttention.q.weight",
    "attn.k.weight": "layer.0.SelfAttention.k.weight",
    "attn.v.weight": "layer.0.SelfAttention.v.weight",
    "attn.o.weight": "layer.0.SelfAttention.o.weight",
    "pos_embedding.embedding.weight": "layer.0.SelfAttention.relative_attention_bias.weight",
    "norm1.weight": "layer.0.layer_norm.weight",
    "ffn.gate.0.weight": "layer.1.DenseReluDense.wi_0.weight",
    "ffn.fc1.weight": "layer.1.DenseReluDense.wi_1.weight",
    "ffn.fc2.weight": "layer.1.DenseReluDense.wo.weight",
    "norm2.weight": "layer.1.layer_norm.weight",
}


def hf_name(name):
    """Official Wan name → Hugging Face UMT5EncoderModel name."""
    if name == "token_embedding.weight":
        return "shared.weight"
    if name == "norm.weight":
        return "encoder.final_layer_norm.weight"
    _, i, rest = name.split(".", 2)
    return "encoder.block.%s.%s" % (i, HF_BLOCK[rest])


# The ftfy fixes reel implements (docs/neural.md), written here independently.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc"
                      "\U0001d173-\U0001d17a\U000e0000-\U000e007f]")
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
              "\ufb05": "\u017ft", "\ufb06": "st", "\u0132": "IJ", "\u0133": "ij"}


def ftfy_subset(text):
    text = re.sub("\x1b\\[[0-9;]*[A-Za-z]", "", text)
    text = _CONTROL.sub("", text)
    out = []
    for ch in text:
        o = ord(ch)
        if ch in _LIGATURES:
            out.append(_LIGATURES[ch])
        elif 0xFF01 <= o <= 0xFF5E:
            out.append(chr(o - 0xFEE0))
        elif o == 0x3000:
            out.append(" ")
        elif o == 0x2BC or 0x2018 <= o <= 0x201B:
            out.append("'")
        elif 0x201C <= o <= 0x201F:
            out.append('"')
        else:
            out.append(ch)
    return "".join(out)


def clean_prompt(text):
    """Wan's cleaning with reel's ftfy subset in place of ftfy.fix_text."""
    text = html.unescape(html.unescape(ftfy_subset(text)))
    return re.sub(r"\s+", " ", text).strip()
