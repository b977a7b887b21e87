"""The shared training loop: seeded, device-agnostic, resumable, with compute accounting.

Data are in-memory tensors (our datasets fit in memory), so an epoch is a seeded permutation of
indices rather than a DataLoader: cheaper on 2 cores and exactly reproducible.  With a
``checkpoint`` path the loop saves model, optimizer, scheduler and shuffling-generator state at
the end of an epoch (atomically), and a later call with the same path resumes from there and
finishes with the same numbers as an uninterrupted run.  It saves at the first epoch end at least
``RESIDUE_CHECKPOINT_SECONDS`` (default 10) after the start or the last save: a kill loses at most
that much work plus an epoch, and a run of thousands of one-step epochs (P1's full-batch convex
victims) no longer writes a checkpoint per step (that cost such a run +43% CPU and +144% wall
time: ``benchmarks/checkpoints.py``).  Where it saves never changes the numbers.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..compute import Meter
from ..errors import ConfigError
from ..io import resume_state, save_torch
from ..precision import autocast
from ..registries import OPTIMIZERS
from ..seeding import generator
from .gather import rows
from .lbfgs import minimise
from .optimizers import SCHEDULES

SOLVERS = ("loop", "lbfgs")
LossFn = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainSpec:
    """How to train: the same recipe is used for the original model and for retraining."""

    epochs: int = 1
    batch_size: int = 128
    lr: float = 0.01
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "constant"
    precision: str = "fp32"  # fp32 | bf16 | auto: the forward pass's autocast (residue.precision)
    channels_last: bool = False  # NHWC layout for convolutions (faster under bf16 on CPU)
    solver: str = "loop"  # loop: minibatch epochs | lbfgs: full-batch L-BFGS to the optimum, ``epochs`` evaluations at most

    def __post_init__(self):
        if self.solver not in SOLVERS:
            raise ConfigError(f"config error at train.solver: {self.solver!r} is not one of {', '.join(SOLVERS)}")
        if self.solver == "lbfgs" and self.precision != "fp32":
            raise ConfigError("config error at train.precision: the lbfgs solver runs in fp32 only")

    @classmethod
    def from_dict(cls, d: dict) -> "TrainSpec":
        return cls(**d)

    def steps(self, n: int) -> int:
        return self.epochs * -(-n // self.batch_size)

    def grad_evals(self, n: int) -> int:
        """Per-example gradient evaluations of a full run on ``n`` examples (the retrain cost; for
        ``lbfgs``, its cap of ``epochs`` full-batch evaluations)."""
        return self.epochs * n


@dataclass
class History:
    loss: list[float] = field(default_factory=list)  # mean training loss per epoch
    test_acc: list[float] = field(default_factory=list)  # per epoch, when eval data are given


def cross_entropy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(model(x), y)


def affordable_steps(n: int, spec: TrainSpec, meter: Meter) -> int:
    """Steps ``fit`` takes on ``n`` examples before its epochs end or ``meter``'s budget binds.

    An epoch is batches of ``b`` and a last, smaller one when ``b`` does not divide ``n``; the
    loop stops at the first batch the budget cannot afford.  When ``left < n`` is what remains
    for an epoch, its first ``left // b`` batches fit and its end (``n`` in all) never does.
    """
    per_epoch = -(-n // spec.batch_size)
    if meter.budget is None or n == 0:
        return spec.epochs * per_epoch
    left = meter.budget - meter.grad_evals
    full = left // n
    if full >= spec.epochs:
        return spec.epochs * per_epoch
    return full * per_epoch + (left - full * n) // spec.batch_size


def progress_enabled() -> bool:
    return os.environ.get("RESIDUE_PROGRESS", "1") != "0"


def fit(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    spec: TrainSpec,
    seed: int,
    meter: Meter,
    *,
    loss_fn: LossFn = cross_entropy,
    eval_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    checkpoint: str | os.PathLike | None = None,
    desc: str = "train",
    horizon: int | None = None,
) -> History:
    """Train ``model`` in place on ``(x, y)`` for ``spec.epochs`` epochs; return the history.

    With ``spec.solver == "lbfgs"`` the model goes to the optimum of the mean loss + weight decay by
    full-batch L-BFGS instead (:mod:`.lbfgs`; ``seed``, ``checkpoint`` and ``horizon`` are unused: it
    is deterministic and takes seconds), and ``History.loss`` is the objective at each evaluation.

    Each step charges ``len(batch)`` gradient evaluations to ``meter``; when the meter's budget
    cannot afford the next batch the loop stops early (this is how unlearning budgets bind).  The
    lr schedule runs over ``horizon`` steps, by default ``spec.steps(n)``; budgeted unlearning
    passes :func:`affordable_steps` so that a decaying schedule ends with the budget.
    """
    device = next(model.parameters()).device
    if spec.solver == "lbfgs":
        hist = History(loss=minimise(model, x.to(device), y.to(device), spec.weight_decay, spec.epochs, meter, loss_fn,
                                     progress=progress_enabled(), desc=desc))
        if eval_data is not None:
            hist.test_acc.append(accuracy(model, *eval_data))
        return hist
    layout = torch.channels_last if spec.channels_last else torch.contiguous_format
    if spec.channels_last:
        model.to(memory_format=layout)
    opt = OPTIMIZERS.get(spec.optimizer, "optimizer")(
        model.parameters(), spec.lr, spec.momentum, spec.weight_decay
    )
    total = spec.steps(len(y)) if horizon is None else horizon
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: SCHEDULES[spec.schedule](s, total))
    gen = generator(seed, "shuffle")
    hist, start = History(), 0
    if (state := resume_state(checkpoint)) is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        gen.set_state(state["generator"])
        hist = History(**state["history"])
        meter.grad_evals = state["grad_evals"]
        start = state["epoch"]

    bar = tqdm(total=total, initial=start * (total // max(spec.epochs, 1)), desc=desc, disable=not progress_enabled(), leave=False)
    every, saved_at = checkpoint_seconds(), time.monotonic()
    for epoch in range(start, spec.epochs):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        running, seen = 0.0, 0
        for idx in order.split(spec.batch_size):
            if not meter.affordable(len(idx)):
                break
            xb, yb = rows(idx, x, y, device=device)
            if xb.dim() == 4:
                xb = xb.contiguous(memory_format=layout)
            with autocast(spec.precision, device):
                loss = loss_fn(model, xb, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            meter.charge(len(idx))
            running += loss.item() * len(idx)
            seen += len(idx)
            bar.update(1)
        if seen == 0:  # budget exhausted before this epoch began
            break
        hist.loss.append(running / seen)
        if eval_data is not None:
            hist.test_acc.append(accuracy(model, *eval_data))
        if seen < len(y):  # budget exhausted mid-epoch: nothing to resume from
            break
        if checkpoint and time.monotonic() - saved_at >= every:
            saved_at = time.monotonic()
            save_torch(
                checkpoint,
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "generator": gen.get_state(),
                    "history": {"loss": hist.loss, "test_acc": hist.test_acc},
                    "grad_evals": meter.grad_evals,
                    "epoch": epoch + 1,
                },
            )
    bar.close()
    return hist


def checkpoint_seconds() -> float:
    """Seconds between checkpoints (``RESIDUE_CHECKPOINT_SECONDS``; 0 = every epoch)."""
    return float(os.environ.get("RESIDUE_CHECKPOINT_SECONDS", "10"))


@torch.no_grad()
def predict(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Logits for ``x`` in eval mode, batched (restores the model's previous mode)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = torch.cat([model(xb.to(device)).cpu() for xb in x.split(batch_size)])
    model.train(was_training)
    return out


def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return (predict(model, x).argmax(1) == y.cpu()).float().mean().item()
