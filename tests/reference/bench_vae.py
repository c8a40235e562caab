#!/usr/bin/python3
"""Seconds per Wan VAE decode with the Python reference (wan_vae.py, whole-sequence pass,
PyTorch eager) at the shapes of bench/bench_neural_vae.cpp: official Wan2.1 / Wan2.2 dims,
random weights, a 2-frame latent -> 5 frames of 128x128, fp32. One JSON line per version:
{"version", "median_s", "median_cpu_s", "runs"}.

  bench_vae.py [--runs N] [--versions 2.1,2.2]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wan_vae  # noqa: E402


def config(version):
    if version == "2.1":
        return {"version": "2.1", "dim": 96, "decoder_dim": 96, "dim_mult": [1, 2, 4, 4],
                "num_res_blocks": 2, "temporal_downsample": [False, True, True], "z_dim": 16,
                "mean": [0.0] * 16, "std": [1.0] * 16}
    return {"version": "2.2", "dim": 160, "decoder_dim": 256, "dim_mult": [1, 2, 4, 4],
            "num_res_blocks": 2, "temporal_downsample": [False, True, True], "z_dim": 48,
            "mean": [0.0] * 48, "std": [1.0] * 48}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--versions", default="2.1,2.2")
    a = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    for version in a.versions.split(","):
        cfg = config(version)
        gen = torch.Generator().manual_seed(1)
        net = wan_vae.Net(cfg, wan_vae.random_weights(cfg, gen))
        side = 128 // (16 if version == "2.2" else 8)
        latent = torch.randn(1, cfg["z_dim"], 2, side, side, generator=gen)
        times, cpu = [], []
        with torch.no_grad():
            net.decode(latent)  # warm-up
            for _ in range(a.runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                net.decode(latent)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
        print(json.dumps({"version": version, "median_s": statistics.median(times),
                          "median_cpu_s": statistics.median(cpu), "runs": a.runs}), flush=True)


if __name__ == "__main__":
    main()
