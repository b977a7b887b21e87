"""The diffusion step loop shared by training, unlearning and relearning attacks.

:func:`run_steps` owns everything but the objective: Adam, diffusers' ``EMAModel``, gradient
clipping, compute accounting (each step charges the number of examples it back-propagated), a
progress bar, and atomic checkpoints every ``checkpoint_every`` steps from which an interrupted
job resumes with identical results (model, optimizer, EMA and generator state are all saved).
A method supplies ``step_loss(step, gen) -> (loss, n_examples)``; :func:`train_denoiser` is the
plain L_simple objective on one dataset.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import torch
from diffusers.training_utils import EMAModel
from tqdm.auto import tqdm

from ..compute import Meter
from ..errors import ConfigError
from ..io import resume_state, save_torch
from ..seeding import generator
from ..training.gather import rows
from ..training.optimizers import SCHEDULES
from .loss import simple_loss
from .schedule import DiffusionSpec, ddpm_scheduler

StepLoss = Callable[[int, torch.Generator], tuple[torch.Tensor, int]]


@dataclass(frozen=True)
class OptimSpec:
    steps: int = 1000
    batch_size: int = 64
    lr: float = 2e-4
    ema_decay: float = 0.999  # 0 disables EMA
    grad_clip: float = 1.0
    checkpoint_every: int = 500
    schedule: str = "constant"  # training.optimizers.SCHEDULES; "cosine": lr · ½(1 + cos(π·step/steps))

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown diffusion lr schedule {self.schedule!r} (one of {sorted(SCHEDULES)})")

    def lr_at(self, step: int) -> float:
        """The learning rate of step ``step`` (a function of the step alone, so resuming needs no state)."""
        return self.lr * SCHEDULES[self.schedule](step, self.steps)


def _progress() -> bool:
    return os.environ.get("RESIDUE_PROGRESS", "1") != "0"


def run_steps(
    model: torch.nn.Module,
    step_loss: StepLoss,
    opt: OptimSpec,
    seed: int,
    meter: Meter,
    *,
    params=None,
    checkpoint: str | os.PathLike | None = None,
    desc: str = "diffusion",
    on_step: Callable[[int, EMAModel | None], bool | None] | None = None,
) -> EMAModel | None:
    """Optimise ``step_loss`` for ``opt.steps`` steps; the EMA weights are copied into ``model``
    at the end (when EMA is on) and the EMA object is returned.  ``on_step(k, ema)`` runs after
    step k (1-based); a true return ends the run there (a stopping rule)."""
    params = list(params if params is not None else model.parameters())
    optim = torch.optim.Adam(params, lr=opt.lr)
    ema = EMAModel(params, decay=opt.ema_decay) if opt.ema_decay > 0 else None
    gen = generator(seed, "diffusion-steps")
    start = 0
    if (state := resume_state(checkpoint)) is not None:
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optimizer"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        gen.set_state(state["generator"])
        meter.grad_evals = state["grad_evals"]
        start = state["step"]
    model.train()
    for step in tqdm(range(start, opt.steps), initial=start, total=opt.steps, desc=desc, disable=not _progress(), leave=False):
        loss, n = step_loss(step, gen)
        if not meter.affordable(n):
            break
        for group in optim.param_groups:
            group["lr"] = opt.lr_at(step)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        if opt.grad_clip:
            torch.nn.utils.clip_grad_norm_(params, opt.grad_clip)
        optim.step()
        meter.charge(n)
        if ema is not None:
            ema.step(params)
        if on_step is not None and on_step(step + 1, ema):
            break
        if checkpoint and (step + 1) % opt.checkpoint_every == 0 and step + 1 < opt.steps:
            save_torch(checkpoint, {
                "model": model.state_dict(),
                "optimizer": optim.state_dict(),
                "ema": ema.state_dict() if ema is not None else None,
                "generator": gen.get_state(),
                "grad_evals": meter.grad_evals,
                "step": step + 1,
            })
    if ema is not None:
        ema.copy_to(params)
    model.eval()
    return ema


@contextmanager
def averaged(model: torch.nn.Module, ema: EMAModel | None):
    """Within the block ``model`` holds the EMA weights (the weights that get scored); the raw
    training weights are restored after it.  Without EMA the model is left as it is."""
    if ema is None:
        yield model
        return
    params = list(model.parameters())
    ema.store(params)
    ema.copy_to(params)
    try:
        yield model
    finally:
        ema.restore(params)


def minibatch(n: int, batch_size: int, gen: torch.Generator) -> torch.Tensor:
    """Indices of a random minibatch (sampling with replacement across steps)."""
    return torch.randint(0, n, (min(batch_size, n),), generator=gen)


def train_denoiser(
    model: torch.nn.Module,
    x0: torch.Tensor,
    cond: torch.Tensor,
    spec: DiffusionSpec,
    opt: OptimSpec,
    seed: int,
    meter: Meter,
    **kwargs,
) -> EMAModel | None:
    """Plain DDPM training: minimise L_simple(x0, cond) with condition dropout ``spec.cond_drop``.
    ``x0`` in [-1, 1], on any device; minibatches are drawn with the job's seeded generator."""
    scheduler = ddpm_scheduler(spec)
    device = next(model.parameters()).device

    def step_loss(step: int, gen: torch.Generator):
        idx = minibatch(len(x0), opt.batch_size, gen)
        xb, cb = rows(idx, x0, cond, device=device)
        return simple_loss(model, xb, cb, scheduler, gen, cond_drop=spec.cond_drop).mean(), len(idx)

    return run_steps(model, step_loss, opt, seed, meter, **kwargs)
