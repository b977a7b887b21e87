"""P1's convex victim solved by L-BFGS (``train: {solver: lbfgs}``, the Gradient Canceling settings'
recipe since fa374b6) against thousands of full-batch SGD epochs in the shared loop (their recipe before).

The victim is the unclipped Gradient Canceling setting's (``config/default.yaml``): logistic
regression on 2,000 Fashion-MNIST training images (``data/fashion_mnist``, ``make data``), full
batch, SGD with momentum 0.9, lr 1.0, cosine schedule, weight decay 1e-3, 3,000 epochs. SGD's
weight decay adds ``wd * theta`` to every gradient, so both solvers minimise the same objective
``J(theta) = mean cross-entropy + wd / 2 * ||theta||^2`` (all parameters, bias included) from the
same initialisation; L-BFGS is ``fit`` with ``solver: lbfgs`` (``residue/training/lbfgs.py``, the
solver of the victims, of Gradient Canceling's θ_p and of H1/H2). Printed per solver: CPU and wall seconds, full-batch gradient evaluations,
``J``, the gradient norm at the end, test accuracy, and how far the weights are from L-BFGS's.
No clean poisons are involved: the point is the solver's cost on the victim's problem size, and
whether the loop's 3,000 epochs reach the optimum the Gradient Canceling attack assumes.

    python benchmarks/convex_solver.py [--epochs 3000] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from residue import models
from residue.attacks.gradient_canceling import stationarity_grad
from residue.compute import Meter
from residue.data.arrays import load
from residue.training import TrainSpec, fit

WD = 1e-3
LBFGS_EVALS = 10_000  # an upper bound; the solver stops at its tolerances first


def victim(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return models.build("logreg", (1, 28, 28), 10)


def report(name: str, model, x, y, xt, yt, cpu: float, wall: float, evals: int, ref=None) -> torch.Tensor:
    w = torch.cat([p.detach().flatten() for p in model.parameters()])
    g = stationarity_grad(model, x, y, WD, len(y)).norm().item() / len(y)  # ‖∇J‖ of the mean objective
    with torch.no_grad():
        j = torch.nn.functional.cross_entropy(model(x), y).item() + WD / 2 * w.square().sum().item()
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    dist = "" if ref is None else f"   ||w - w_lbfgs|| / ||w_lbfgs|| {(w - ref).norm().item() / ref.norm().item():.2e}"
    print(f"  {name:34s} CPU {cpu:6.2f} s  wall {wall:6.2f} s  grad evals {evals:5d}  J {j:.7f}  "
          f"|grad J| {g:.1e}  test acc {acc:.4f}{dist}")
    return w


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("RESIDUE_PROGRESS", "0")
    data = load("fashion_mnist")
    idx = np.sort(np.random.default_rng(0).permutation(len(data.train.y))[:2000])
    x, y = data.train.subset(idx).tensors()
    xt, yt = data.test.tensors()
    print(f"logistic regression, {len(y)} images, weight decay {WD:g}, {args.threads} thread(s)")

    meter = Meter()
    cpu, wall = time.process_time(), time.perf_counter()
    model = victim(0)
    fit(model, x, y, TrainSpec(solver="lbfgs", epochs=LBFGS_EVALS, weight_decay=WD), 0, meter)
    ref = report("L-BFGS (solver: lbfgs, strong Wolfe)", model, x, y, xt, yt,
                 time.process_time() - cpu, time.perf_counter() - wall, meter.grad_evals // len(y))

    model = victim(0)
    spec = TrainSpec(epochs=args.epochs, batch_size=4096, lr=1.0, optimizer="sgd", momentum=0.9,
                     weight_decay=WD, schedule="cosine")
    meter = Meter()
    cpu, wall = time.process_time(), time.perf_counter()
    fit(model, x, y, spec, 0, meter)
    report(f"shared loop, {args.epochs} full-batch epochs", model, x, y, xt, yt,
           time.process_time() - cpu, time.perf_counter() - wall, meter.grad_evals // len(y), ref)


if __name__ == "__main__":
    main()
