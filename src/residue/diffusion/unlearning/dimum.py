"""DiMUM, unlearning by memorization (arXiv 2512.03564; PAPERS.md §P4):

    L = L_simple(D_r) + λ · L_simple(x_alt, c_f)

for a small fixed set D_alt: instead of pushing c_f away, make it memorize alternative data, so the
unlearned model sits in a low-loss minimum of the ordinary diffusion objective and relearning on
data without c_f has no gradient that brings c_f back.  Two choices of D_alt (``alt``):
``class`` — images of another (retained) class; ``pattern`` — one neutral pattern (uniform grey).
The argument needs D_alt *memorised* under c_f: the alternative-data loss L_simple(x_alt, c_f) is
reported before and after (``task.info``, the same t and ε both times) to show how far it went.
"""

from __future__ import annotations

import torch

from ...errors import ConfigError
from ...registries import DIFFUSION_UNLEARNING
from ..loss import simple_loss
from ..train import run_steps
from .base import UnlearnTask


def class_images(task: UnlearnTask, n: int, gen: torch.Generator, alt_class: int = 0, **_) -> torch.Tensor:
    """``n`` fixed images of the retained class ``alt_class`` from D_r."""
    x, c = task.retain
    pool = (c == alt_class).nonzero().flatten()
    if len(pool) == 0:
        raise ConfigError(f"DiMUM: alternative class {alt_class} has no images in the retain set")
    return x[pool[torch.randperm(len(pool), generator=gen)[:n]]]


def neutral_pattern(task: UnlearnTask, n: int, gen: torch.Generator, level: float = 0.0, **_) -> torch.Tensor:
    """One uniform image at ``level`` (0 = mid-grey in [-1, 1]), repeated."""
    return torch.full((n, *task.retain[0].shape[1:]), level)


ALTERNATIVES = {"class": class_images, "pattern": neutral_pattern}


@torch.no_grad()
def alt_loss(task: UnlearnTask, alt: torch.Tensor, seed: int, draws: int = 4) -> float:
    """L_simple(x_alt, c_f) averaged over ``draws`` fixed (t, ε) per image (seeded: comparable over training)."""
    from ...seeding import generator

    gen = generator(seed, "dimum-alt-loss")
    cf = torch.full((len(alt),), task.forget_class, device=task.device)
    was_training = task.model.training
    task.model.eval()
    loss = sum(float(simple_loss(task.model, alt.to(task.device), cf, task.scheduler, gen).mean()) for _ in range(draws)) / draws
    task.model.train(was_training)
    return loss


def dimum_loss(task: UnlearnTask, retain, alt, gen, lam: float):
    xr, cr = retain
    l_r = simple_loss(task.model, xr, cr, task.scheduler, gen, cond_drop=task.spec.cond_drop).mean()
    cf = torch.full((len(alt),), task.forget_class, device=alt.device)
    return l_r + lam * simple_loss(task.model, alt, cf, task.scheduler, gen).mean()


@DIFFUSION_UNLEARNING.register("dimum")
def dimum(task: UnlearnTask, opt, seed, meter, *, alt: str = "class", lam: float = 1.0, n_alt: int = 64,
          alt_args: dict | None = None, **run_kw) -> None:
    from ...seeding import generator

    if alt not in ALTERNATIVES:
        raise ConfigError(f"DiMUM: unknown alternative data {alt!r}; allowed: {', '.join(ALTERNATIVES)}")
    x_alt = ALTERNATIVES[alt](task, n_alt, generator(seed, "dimum-alt"), **(alt_args or {}))

    def step_loss(step, gen):
        retain = task.batch(task.retain, opt.batch_size, gen)
        idx = torch.randint(0, len(x_alt), (min(opt.batch_size, len(x_alt)),), generator=gen)
        return dimum_loss(task, retain, x_alt[idx].to(task.device), gen, lam), len(retain[1]) + len(idx)

    task.info["alt_loss_before"] = alt_loss(task, x_alt, seed)
    run_steps(task.model, step_loss, opt, seed, meter, desc="dimum", **run_kw)
    task.info["alt_loss_after"] = alt_loss(task, x_alt, seed)
