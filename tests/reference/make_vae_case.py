#!/usr/bin/python3
"""Writes one tiny, seeded Wan VAE test case for reel's parity tests.

  make_vae_case.py --version 2.1|2.2 --out DIR [--seed N] [--frames T] [--size PX] [--pth]
                   [--no-perturbed] [--official (2.1 full-size shapes)]

DIR/vae_config.json          reel's VAE config (tiny dims, official latent constants)
DIR/weights.safetensors      F32 weights under the official names
DIR/Wan_VAE.pth              (--pth) the same weights written by torch.save, BF16-free
DIR/inputs.safetensors       video [3, T, S, S] in [-1, 1]; latent [z, F, S/f, S/f]
DIR/expected.safetensors     latent (encode of video), video (decode of latent), and
                             perturbed.encode.<name> / perturbed.decode.<name>
DIR/meta.json                sizes and magnitudes
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import wan_vae  # noqa: E402

# Official latent constants: Wan2.1 wan/modules/vae.py, Wan2.2 wan/modules/vae2_2.py.
MEAN21 = [-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
          0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921]
STD21 = [2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
         3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160]


def official_config_21():
    return {"version": "2.1", "dim": 96, "decoder_dim": 96, "dim_mult": [1, 2, 4, 4],
            "num_res_blocks": 2, "temporal_downsample": [False, True, True], "z_dim": 16,
            "mean": MEAN21, "std": STD21}


def tiny_config(version, gen):
    if version == "2.1":
        z = 4
        return {"version": "2.1", "dim": 8, "decoder_dim": 8, "dim_mult": [1, 2, 4, 4],
                "num_res_blocks": 2, "temporal_downsample": [False, True, True], "z_dim": z,
                "mean": MEAN21[:z], "std": STD21[:z]}
    z = 12
    # Latent constants of the right magnitude for a 12-channel latent (Wan2.2's are 48).
    mean = [round(float(v), 4) for v in 0.2 * torch.randn(z, generator=gen)]
    std = [round(float(v), 4) for v in 0.4 + 0.8 * torch.rand(z, generator=gen)]
    return {"version": "2.2", "dim": 8, "decoder_dim": 16, "dim_mult": [1, 2, 4, 4],
            "num_res_blocks": 2, "temporal_downsample": [False, True, True], "z_dim": z,
            "mean": mean, "std": std}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", choices=["2.1", "2.2"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--frames", type=int, default=9)
    ap.add_argument("--size", type=int, default=0, help="square frame side (default 32 / 64)")
    ap.add_argument("--pth", action="store_true", help="also write the weights with torch.save")
    ap.add_argument("--no-perturbed", action="store_true")
    ap.add_argument("--official", action="store_true",
                    help="Wan2.1's full-size shapes (127M parameters, 508 MB of weights)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    gen = torch.Generator().manual_seed(a.seed)
    if a.official and a.version != "2.1":
        ap.error("--official is implemented for --version 2.1 only")
    cfg = official_config_21() if a.official else tiny_config(a.version, gen)
    f = 16 if a.version == "2.2" else 8
    size = a.size or (64 if a.version == "2.2" else 32)
    weights = wan_vae.random_weights(cfg, gen)
    # A smooth-ish video (a random field upsampled) so the encoder sees structure.
    coarse = torch.rand(1, 3, a.frames, size // 4, size // 4, generator=gen) * 1.6 - 0.8
    video = torch.nn.functional.interpolate(coarse, size=(a.frames, size, size), mode="trilinear",
                                            align_corners=False)
    video = (video + 0.1 * torch.randn(video.shape, generator=gen)).clamp(-1, 1)
    frames_latent = 1 + (a.frames - 1) // 4
    latent = torch.randn(1, cfg["z_dim"], frames_latent, size // f, size // f, generator=gen)

    with torch.no_grad():
        net = wan_vae.Net(cfg, weights)
        expected = {"latent": net.encode(video)[0], "video": net.decode(latent)[0]}
        if not a.no_perturbed:
            names = wan_vae.PERTURBATIONS + (wan_vae.PERTURBATIONS_22 if a.version == "2.2" else [])
            for name in names:
                pn = wan_vae.Net(cfg, weights, perturb={name})
                if name not in wan_vae.DECODER_ONLY:
                    expected["perturbed.encode." + name] = pn.encode(video)[0]
                if name not in wan_vae.ENCODER_ONLY:
                    expected["perturbed.decode." + name] = pn.decode(latent)[0]

    with open(os.path.join(a.out, "vae_config.json"), "w") as fh:
        json.dump(cfg, fh, indent=1)
    safetensors_io.save(os.path.join(a.out, "weights.safetensors"), weights)
    if a.pth:
        torch.save(weights, os.path.join(a.out, "Wan_VAE.pth"))
    safetensors_io.save(os.path.join(a.out, "inputs.safetensors"),
                        {"video": video[0].contiguous(), "latent": latent[0].contiguous()})
    safetensors_io.save(os.path.join(a.out, "expected.safetensors"),
                        {k: v.contiguous() for k, v in expected.items()})
    dec = expected["video"]
    meta = {"version": a.version, "seed": a.seed, "frames": a.frames, "size": size,
            "latent_max_abs": float(expected["latent"].abs().max()),
            "video_max_abs": float(dec.abs().max()),
            "video_clamped_fraction": float((dec.abs() >= 1.0).float().mean())}
    with open(os.path.join(a.out, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)


if __name__ == "__main__":
    main()
