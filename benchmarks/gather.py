"""How a minibatch is cut out of an in-memory dataset: advanced indexing ``t[idx]`` against
``t.index_select(0, idx)`` (``residue.training.gather.rows``, what every training loop uses).

The shapes are the pipeline's: P1's convex victim (2,000 Fashion-MNIST images, full batch, one
random order per epoch), its unlearning methods' batches of 64, and P4's diffusion batches of 64
16×16 images.  The two variants alternate; medians; the two results must be equal.

    python benchmarks/gather.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from residue.training.gather import rows

CASES = {  # name: (dataset shape, batch size)
    "P1 convex victim, full batch of 2,000": ((2000, 1, 28, 28), 2000),
    "P1 unlearning, batch 64 of 2,000": ((2000, 1, 28, 28), 64),
    "P4 diffusion, batch 64 of 6,000 (16x16)": ((6000, 1, 16, 16), 64),
}
VARIANTS = {
    "t[idx]": lambda x, idx: x[idx],
    "index_select": lambda x, idx: rows(idx, x, device=x.device)[0],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    print(f"one thread, median of {args.repeats} alternating calls, ms per batch")
    for case, (shape, batch) in CASES.items():
        x = torch.rand(shape, generator=gen)
        times = {name: [] for name in VARIANTS}
        out = {}
        for _ in range(args.repeats):
            idx = torch.randperm(shape[0], generator=gen)[:batch]
            for name, take in VARIANTS.items():
                start = time.perf_counter()
                out[name] = take(x, idx)
                times[name].append(time.perf_counter() - start)
        a, b = (statistics.median(t) * 1e3 for t in times.values())
        same = torch.equal(*out.values())
        print(f"  {case:42s} t[idx] {a:7.3f}   index_select {b:7.3f}   (x{a / b:.2f}; equal: {same})")


if __name__ == "__main__":
    main()
