#!/usr/bin/python3
"""The Python reference's compute backend in one line, as reel-neural prints its own
(`reel-neural info --line`): the BLAS this process mapped (from /proc/self/maps, not from
how PyTorch was built), its thread count, PyTorch's intra-op threads and oneDNN.

  backend_line.py [--threads N]      (bench_dit.py and bench_vae.py print it themselves)
"""
import argparse
import ctypes
import os
import sys

import torch


def mapped(fragment):
    """Real paths of the files this process mapped whose name contains `fragment`."""
    seen = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.rstrip("\n").split(None, 5)[-1]
            if path.startswith("/") and fragment in os.path.basename(path) and path not in seen:
                seen.append(path)
    return seen


def blas():
    libs = mapped("libblas.so")
    if not libs:
        return "none mapped"
    text = libs[0]
    # OpenBLAS says what it is; netlib's reference BLAS has no such entry point.
    for lib in libs + mapped("libopenblas"):
        try:
            so = ctypes.CDLL(lib)
            so.openblas_get_config.restype = ctypes.c_char_p
            parallel = {0: "sequential", 1: "pthreads", 2: "openmp"}.get(so.openblas_get_parallel(), "?")
            words = so.openblas_get_config().decode().split()
            return f"{' '.join(words[:2])} ({parallel}, {so.openblas_get_num_threads()} threads) {text}"
        except (OSError, AttributeError):
            continue
    return f"reference (netlib) {text}" if "/blas/" in text else text


def line():
    onednn = "no"
    if torch.backends.mkldnn.is_available():
        onednn = "yes"
        for part in torch.__config__.show().splitlines():
            if "MKL-DNN" in part or "oneDNN" in part:
                onednn = part.strip(" -")
    return (f"backend: BLAS {blas()}; PyTorch {torch.__version__} {torch.get_num_threads()} threads "
            f"({torch.__config__.parallel_info().splitlines()[-1].split(': ')[-1]}); {onednn}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    torch.set_num_threads(ap.parse_args().threads)
    print(line())
    sys.exit(0)
