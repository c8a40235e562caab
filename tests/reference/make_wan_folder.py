#!/usr/bin/python3
"""Writes a tiny, seeded Wan checkpoint folder in the publisher's layout, for reel's
end-to-end tests of `reel-neural generate`.

  make_wan_folder.py --kind t2v|ti2v --out DIR [--seed N]

DIR/config.json                            tiny DiT config, publisher keys (+ text_dim)
DIR/diffusion_pytorch_model.safetensors    F32 DiT weights under the official names
DIR/Wan2.1_VAE.pth (t2v) | Wan2.2_VAE.pth  F32 VAE state dict (torch.save), official names
DIR/vae_config.json                        reel's VAE config for the tiny VAE
DIR/models_t5_umt5-xxl-enc-bf16.pth        F32 umT5 state dict (torch.save), official names
DIR/t5_config.json                         reel's umT5 config for the tiny encoder
DIR/google/umt5-xxl/spiece.model           SentencePiece unigram model trained here with
                                           Debian's spm_train (pad 0, EOS 1, unk 2, no BOS,
                                           as umT5)

The models come from the project's independent references: wan_dit.py / make_case.py (DiT),
wan_vae.py / make_vae_case.py (VAE), umt5.py / make_umt5_case.py (umT5).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_case  # noqa: E402
import make_umt5_case  # noqa: E402
import make_vae_case  # noqa: E402
import safetensors_io  # noqa: E402
import wan_vae  # noqa: E402

# The official default negative prompt is in the corpus so its characters get pieces.
NEG_PROMPT = ("色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，"
              "低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，"
              "毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走")
CORPUS = [
    "A cat walks on the grass, realistic style.",
    "An astronaut rides a horse on the surface of Mars, cinematic lighting.",
    "Two anthropomorphic cats in comfy boxing gear fight intensely on a spotlighted stage.",
    "A red fox runs through the snowy forest at dawn; soft light, shallow depth of field.",
    "Close-up of ocean waves crashing against black rocks, slow motion, 4k.",
    "A city street at night with neon signs reflected in the puddles.",
    "Summer beach vacation style, a white cat wearing sunglasses sits on a surfboard.",
    NEG_PROMPT,
]

KIND = {  # VAE version, file name
    "t2v": ("2.1", "Wan2.1_VAE.pth"),
    "ti2v": ("2.2", "Wan2.2_VAE.pth"),
}


def train_tokenizer(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as fh:
            for i in range(20):
                for line in CORPUS:
                    fh.write(line + "\n")
        prefix = os.path.join(tmp, "sp")
        subprocess.run(["spm_train", "--input=" + corpus, "--model_prefix=" + prefix,
                        "--vocab_size=300", "--hard_vocab_limit=false", "--model_type=unigram",
                        "--character_coverage=1.0", "--pad_id=0", "--eos_id=1", "--unk_id=2",
                        "--bos_id=-1", "--minloglevel=2", "--num_threads=1"],
                       check=True, capture_output=True)
        os.replace(prefix + ".model", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=sorted(KIND), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=2024)
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    gen = torch.Generator().manual_seed(a.seed)

    # 1. Tokenizer, then the encoder sized to its vocabulary.
    spiece = os.path.join(a.out, "google", "umt5-xxl", "spiece.model")
    train_tokenizer(spiece)
    import sentencepiece
    vocab = sentencepiece.SentencePieceProcessor(model_file=spiece).get_piece_size()
    t5_cfg = dict(vocab=vocab, dim=32, dim_attn=32, dim_ffn=48, num_heads=4, num_layers=2,
                  num_buckets=32, max_distance=128, eps=1e-6)
    with open(os.path.join(a.out, "t5_config.json"), "w") as fh:
        json.dump(t5_cfg, fh, indent=1)
    torch.save(make_umt5_case.random_weights(t5_cfg, gen),
               os.path.join(a.out, "models_t5_umt5-xxl-enc-bf16.pth"))

    # 2. VAE.
    version, vae_file = KIND[a.kind]
    vae_cfg = make_vae_case.tiny_config(version, gen)
    with open(os.path.join(a.out, "vae_config.json"), "w") as fh:
        json.dump(vae_cfg, fh, indent=1)
    torch.save(wan_vae.random_weights(vae_cfg, gen), os.path.join(a.out, vae_file))

    # 3. DiT: latent channels = the VAE's z_dim, text_dim = the encoder's dim.
    dit_cfg = dict(make_case.TINY)
    dit_cfg.update({"_class_name": "WanModel", "model_type": a.kind, "in_dim": vae_cfg["z_dim"],
                    "out_dim": vae_cfg["z_dim"], "text_dim": t5_cfg["dim"]})
    weights = make_case.random_weights(dit_cfg, gen)
    safetensors_io.save(os.path.join(a.out, "diffusion_pytorch_model.safetensors"), weights)
    with open(os.path.join(a.out, "config.json"), "w") as fh:
        json.dump(dit_cfg, fh, indent=1)


if __name__ == "__main__":
    main()
