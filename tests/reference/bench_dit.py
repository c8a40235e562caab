#!/usr/bin/python3
"""Times the reference Wan DiT forward (PyTorch eager) at the Wan2.1-T2V-1.3B config.

  bench_dit.py [--runs 3] [--dtypes fp32,bf16] [--latent 16,5,30,52] [--layers 30]
               [--threads N] [--save DIR]

Random weights of the official shapes (never saved unless --save), latent 16x5x30x52
(5 x 15 x 26 = 1,950 tokens), a 512-token context, t = 999. Prints one JSON line per dtype:
{"impl": "reference", "dtype", "tokens", "runs", "median_s", "median_cpu_s", "all_s"}
(CPU seconds of the whole process: steadier than wall time on a shared machine).
--save DIR also writes config.json, weights.safetensors (fp32) and inputs.safetensors there
so `reel neural dit-forward` can run the same forward (5.7 GB for the full model).
Memory: ~6 GB for fp32 weights plus ~3 GB for the bf16 copy.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_case  # noqa: E402
import safetensors_io  # noqa: E402
import wan_dit  # noqa: E402

WAN21_1_3B = {"model_type": "t2v", "dim": 1536, "ffn_dim": 8960, "freq_dim": 256, "in_dim": 16,
              "out_dim": 16, "num_heads": 12, "num_layers": 30, "text_len": 512, "text_dim": 4096,
              "eps": 1e-6, "patch_size": [1, 2, 2]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--latent", default="16,5,30,52")
    ap.add_argument("--layers", type=int, default=30)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--save", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = dict(WAN21_1_3B, num_layers=a.layers)
    c, f, h, w = (int(v) for v in a.latent.split(","))
    gen = torch.Generator().manual_seed(7)
    weights = make_case.random_weights(cfg, gen)
    inputs = {"x": torch.randn(c, f, h, w, generator=gen), "t": torch.tensor([999.0]),
              "context": torch.randn(cfg["text_len"], cfg["text_dim"], generator=gen)}
    if a.save:
        os.makedirs(a.save, exist_ok=True)
        with open(os.path.join(a.save, "config.json"), "w") as fh:
            json.dump(cfg, fh, indent=1)
        safetensors_io.save(os.path.join(a.save, "weights.safetensors"), weights)
        safetensors_io.save(os.path.join(a.save, "inputs.safetensors"), inputs)
    tokens = f * (h // 2) * (w // 2)
    for dtype in a.dtypes.split(","):
        bf16 = dtype == "bf16"
        if bf16:
            # Matmul weights held in bf16 once (as a bf16 checkpoint would be); norms,
            # modulation and biases stay fp32 like the official mixed precision.
            weights = {k: (v.to(torch.bfloat16) if v.dim() >= 2 and not k.endswith("modulation") else v)
                       for k, v in weights.items()}
        times, cpu = [], []
        with torch.no_grad():
            for _ in range(a.runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                y = wan_dit.forward(cfg, weights, inputs["x"], inputs["t"], inputs["context"], bf16=bf16)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
        assert torch.isfinite(y).all()
        print(json.dumps({"impl": "reference", "dtype": dtype, "tokens": tokens, "layers": a.layers,
                          "threads": a.threads, "runs": a.runs,
                          "median_s": round(statistics.median(times), 3),
                          "median_cpu_s": round(statistics.median(cpu), 3),
                          "all_s": [round(t, 3) for t in times]}), flush=True)


if __name__ == "__main__":
    main()
