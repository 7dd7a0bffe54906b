"""The hardware and the alternative, for `npm run bench` (issue 13): the network's FLOPs for one
batch, PyTorch on the CPU running the same network on that batch (what a researcher would run
instead), and this machine's matrix-multiply peak, all with the same number of threads.

  /usr/bin/python3 bench/torch_cpu.py --threads 2 [--batch 4 --size 192]   -> one JSON line

The weights come from the shipped model.onnx (training/from_onnx.py's mapping), so the network is
the app's. FLOPs count multiply-adds twice, convolutions only (the rest is under 1%).
"""
import argparse, json, os, sys, time
import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "training"))
from from_onnx import model_from_onnx  # noqa: E402


def conv_flops(model, x):
    total = 0

    def hook(m, inp, out):
        nonlocal total
        total += 2 * out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return total


def best_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times), float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--size", type=int, default=192)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = model_from_onnx(os.path.join(HERE, "..", "public", "models", "siteseg-tissue", "model.onnx"))
    x = torch.full((args.batch, 3, args.size, args.size), 0.5)
    flops = conv_flops(model, x)
    with torch.no_grad():
        best, median = best_ms(lambda: model(x), 10)
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    mm_best, _ = best_ms(lambda: torch.matmul(a, b), 10)
    print(json.dumps({
        "threads": args.threads, "batch": [args.batch, 3, args.size, args.size], "torch": torch.__version__,
        "flops": flops, "torchMs": median, "torchBestMs": best,
        "matmulGflops": 2 * n ** 3 / (mm_best / 1000) / 1e9,
    }))


if __name__ == "__main__":
    main()
