"""What checkpointing costs the shared training loop: a checkpoint at every epoch end against one
at most every ``RESIDUE_CHECKPOINT_SECONDS`` (the default, 10 s).

The run is P1's Gradient Canceling victim as the default profile trains it: logistic regression on
2,000 Fashion-MNIST-sized images, full batch (one step per epoch), SGD with momentum and a cosine
schedule.  Variants alternate; medians of CPU and wall seconds; the trained weights must be equal.

    python benchmarks/checkpoints.py [--epochs 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import torch

from residue.compute import Meter
from residue.training import TrainSpec, fit


def run(seconds: str, epochs: int) -> tuple[float, float, torch.Tensor]:
    os.environ["RESIDUE_CHECKPOINT_SECONDS"] = seconds
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(2000, 1, 28, 28, generator=gen), torch.randint(0, 10, (2000,), generator=gen)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    spec = TrainSpec(epochs=epochs, batch_size=4096, lr=1.0, optimizer="sgd", momentum=0.9, weight_decay=0.001, schedule="cosine")
    with tempfile.TemporaryDirectory() as d:
        cpu, wall = time.process_time(), time.perf_counter()
        fit(model, x, y, spec, 0, Meter(), checkpoint=os.path.join(d, "train.ckpt"))
        return time.process_time() - cpu, time.perf_counter() - wall, model[1].weight.detach().clone()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.environ.setdefault("RESIDUE_PROGRESS", "0")
    rows = {"every epoch (0 s)": "0", "spaced (10 s, the default)": "10"}
    times = {name: [] for name in rows}
    weights = {}
    for _ in range(args.repeats):
        for name, seconds in rows.items():
            cpu, wall, w = run(seconds, args.epochs)
            times[name].append((cpu, wall))
            weights[name] = w
    a, b = weights.values()
    print(f"{args.epochs} one-step epochs, one thread, median of {args.repeats}; trained weights equal: {torch.equal(a, b)}")
    for name, t in times.items():
        print(f"  {name:28s} CPU {statistics.median(c for c, _ in t):6.2f} s   wall {statistics.median(w for _, w in t):6.2f} s")


if __name__ == "__main__":
    main()
