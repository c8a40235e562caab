#!/usr/bin/python3
"""Writes one tiny, seeded umT5 encoder case for reel's parity tests.

  make_umt5_case.py --out DIR [--seed N] [--spm MODEL --prompts PROMPTS.json]

DIR/t5_config.json          reel's t5 config (dim 32, 2 layers, 4 heads, 32 buckets)
DIR/weights.pth             F32 state dict under the official Wan names (torch.save)
DIR/weights_bf16.pth        the same weights in BF16 (what Wan ships)
DIR/weights_strided.pth     F32, the attention projections stored as transposed views
DIR/weights.safetensors     F32 under the Hugging Face UMT5 names (with the tied
                            encoder.embed_tokens.weight as well as shared.weight)
DIR/inputs.safetensors      ids [2, 160] int64, mask [2, 160] (row 1 padded after 37 tokens)
DIR/expected.safetensors    y [2, 160, 32] fp32, y_bf16 (the reference run in BF16),
                            perturbed.<name> (y with one deliberate mistake)
With --spm/--prompts (the vocab is then the tokenizer's size):
DIR/prompts.safetensors     prompt.<i>.ids [512] and prompt.<i>.context [length, 32]
DIR/prompts.json            the cleaned prompts
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import umt5  # noqa: E402


def random_weights(cfg, gen):
    d, a, f, h = cfg["dim"], cfg["dim_attn"], cfg["dim_ffn"], cfg["num_heads"]

    def n(shape, std, mean=0.0):
        return torch.randn(shape, generator=gen) * std + mean

    w = {"token_embedding.weight": n((cfg["vocab"], d), 1.0)}
    for i in range(cfg["num_layers"]):
        p = "blocks.%d." % i
        w[p + "norm1.weight"] = n((d,), 0.2, 1.0)
        # Scales chosen so every component visibly moves the output: attention scores of
        # order 1-3 and a position bias of the same order.
        w[p + "attn.q.weight"] = n((a, d), d ** -0.5)
        w[p + "attn.k.weight"] = n((a, d), d ** -0.5)
        w[p + "attn.v.weight"] = n((a, d), d ** -0.5)
        w[p + "attn.o.weight"] = n((d, a), a ** -0.5)
        w[p + "norm2.weight"] = n((d,), 0.2, 1.0)
        w[p + "ffn.gate.0.weight"] = n((f, d), d ** -0.5)
        w[p + "ffn.fc1.weight"] = n((f, d), d ** -0.5)
        w[p + "ffn.fc2.weight"] = n((d, f), f ** -0.5)
        w[p + "pos_embedding.embedding.weight"] = n((cfg["num_buckets"], h), 1.0)
    w["norm.weight"] = n((d,), 0.2, 1.0)
    return w


def frame(pieces, eos, pad, text_len=512):
    """Hugging Face T5 tokenizer with truncation + EOS + max_length padding."""
    pieces = pieces[: text_len - 1] + [eos]
    return pieces + [pad] * (text_len - len(pieces)), len(pieces)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--spm")
    ap.add_argument("--prompts")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_grad_enabled(False)

    sp = None
    vocab = 300
    if args.spm:
        import sentencepiece
        sp = sentencepiece.SentencePieceProcessor(model_file=args.spm)
        vocab = sp.get_piece_size()
    cfg = dict(vocab=vocab, dim=32, dim_attn=32, dim_ffn=48, num_heads=4, num_layers=2,
               num_buckets=32, max_distance=128, eps=1e-6)
    with open(os.path.join(args.out, "t5_config.json"), "w") as fh:
        json.dump(cfg, fh)

    gen = torch.Generator().manual_seed(args.seed)
    w = random_weights(cfg, gen)
    torch.save(w, os.path.join(args.out, "weights.pth"))
    # The same values with the attention projections stored as transposed views
    # (non-contiguous: reel gathers them through their strides).
    strided = {}
    for k, v in w.items():
        if ".attn." in k:
            strided[k] = v.t().contiguous().t()
        else:
            strided[k] = v
    torch.save(strided, os.path.join(args.out, "weights_strided.pth"))
    w16 = {k: v.to(torch.bfloat16) for k, v in w.items()}
    torch.save(w16, os.path.join(args.out, "weights_bf16.pth"))
    hf = {umt5.hf_name(k): v for k, v in w.items()}
    # Hugging Face files may also hold the tied copy of the embedding.
    hf["encoder.embed_tokens.weight"] = w["token_embedding.weight"]
    safetensors_io.save(os.path.join(args.out, "weights.safetensors"), hf)

    # Row 0 is 160 real tokens (distances past max_distance reach the clamped buckets);
    # row 1 is padded after 37 tokens, with garbage ids in the padding.
    length = 160
    ids = torch.randint(0, vocab, (2, length), generator=gen)
    mask = torch.ones(2, length, dtype=torch.long)
    mask[1, 37:] = 0
    safetensors_io.save(os.path.join(args.out, "inputs.safetensors"), {"ids": ids, "mask": mask})

    out = {"y": umt5.encode(w, cfg, ids, mask)}
    out["y_bf16"] = umt5.encode(w16, cfg, ids, mask)
    V = umt5.Variant
    for name, v in {
        "scaled_attention": V(scale_attention=True),
        "shared_pos": V(shared_pos=True),
        "unidirectional_buckets": V(unidirectional=True),
        "naive_buckets": V(naive_buckets=True),
        "gelu_erf": V(gelu_erf=True),
        "eps_1e-2": V(eps=1e-2),
        "ignore_mask": V(ignore_mask=True),
        "no_final_norm": V(no_final_norm=True),
    }.items():
        out["perturbed." + name] = umt5.encode(w, cfg, ids, mask, v)
    safetensors_io.save(os.path.join(args.out, "expected.safetensors"), out)

    if sp is not None:
        with open(args.prompts, encoding="utf-8") as fh:
            prompts = json.load(fh)
        tensors, cleaned = {}, []
        for i, p in enumerate(prompts):
            text = umt5.clean_prompt(p)
            cleaned.append(text)
            full, n = frame(sp.encode(text), sp.eos_id(), sp.pad_id())
            ids_p = torch.tensor([full])
            mask_p = (torch.arange(512) < n).long()[None]
            tensors["prompt.%d.ids" % i] = ids_p[0]
            tensors["prompt.%d.context" % i] = umt5.encode(w, cfg, ids_p, mask_p)[0, :n].contiguous()
        safetensors_io.save(os.path.join(args.out, "prompts.safetensors"), tensors)
        with open(os.path.join(args.out, "prompts.json"), "w", encoding="utf-8") as fh:
            json.dump(cleaned, fh, ensure_ascii=False)


if __name__ == "__main__":
    main()
