"""Throughput of the shared training loop against a bare PyTorch loop on the same work.

    python benchmarks/loop_overhead.py [--model cnn] [--n 6000] [--epochs 2] [--repeats 5]

Both loops train the same model (same initial weights) on the same Fashion-MNIST subset with the
same batch size, optimizer and number of steps; the bare loop is the textbook
``randperm → forward → backward → step``.  The shared loop adds what every job gets: seeded
shuffling generator, LR schedule, compute accounting, progress bar, per-epoch test accuracy
(off here) and atomic per-epoch checkpoints (on, as in the pipeline).  Prints the median
examples/s of each and their ratio over ``--repeats`` alternating runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from residue.compute import Meter
from residue.data import load
from residue.models import build
from residue.training import TrainSpec, fit


def bare(model, x, y, spec: TrainSpec) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)
    for _ in range(spec.epochs):
        for idx in torch.randperm(len(y)).split(spec.batch_size):
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


def shared(model, x, y, spec: TrainSpec) -> None:
    with tempfile.TemporaryDirectory() as d:
        fit(model, x, y, spec, seed=0, meter=Meter(), checkpoint=Path(d) / "ckpt.pt")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cnn")
    p.add_argument("--n", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--loop", choices=["both", "bare", "shared"], default="both",
                   help="time one loop only (to compare whole processes with an external timer)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    data = load("fashion_mnist", verify=False)
    x, y = data.train.subset(torch.arange(args.n).numpy()).tensors()
    spec = TrainSpec(epochs=args.epochs, batch_size=args.batch_size, lr=0.05)
    torch.manual_seed(0)
    init = build(args.model, data.shape, data.num_classes).state_dict()
    loops = {"bare": bare, "shared": shared}
    if args.loop != "both":
        loops = {args.loop: loops[args.loop]}
    rates = {name: [] for name in loops}
    for _ in range(args.repeats):
        for name, loop in loops.items():
            model = build(args.model, data.shape, data.num_classes)
            model.load_state_dict(init)
            start = time.perf_counter()
            loop(model, x, y, spec)
            rates[name].append(args.epochs * args.n / (time.perf_counter() - start))
    print(f"model={args.model} n={args.n} epochs={args.epochs} batch={args.batch_size} threads={args.threads} repeats={args.repeats}")
    for name, r in rates.items():
        print(f"{name:6s} loop: {statistics.median(r):9.0f} examples/s (median)")
    if len(rates) == 2:
        b, s = statistics.median(rates["bare"]), statistics.median(rates["shared"])
        print(f"overhead   : {100 * (b / s - 1):+.1f}% (bare/shared throughput ratio {b / s:.3f})")


if __name__ == "__main__":
    main()
