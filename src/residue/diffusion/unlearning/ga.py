"""Gradient ascent on the forget set with a retain term (PAPERS.md §P4):

    L = −L_simple(D_f) + α · L_simple(D_r)
"""

from __future__ import annotations

from ...registries import DIFFUSION_UNLEARNING
from ..loss import simple_loss
from ..train import run_steps
from .base import UnlearnTask


def ga_loss(task: UnlearnTask, forget, retain, gen, alpha: float):
    (xf, cf), (xr, cr) = forget, retain
    l_f = simple_loss(task.model, xf, cf, task.scheduler, gen).mean()
    l_r = simple_loss(task.model, xr, cr, task.scheduler, gen, cond_drop=task.spec.cond_drop).mean()
    return -l_f + alpha * l_r


@DIFFUSION_UNLEARNING.register("ga")
def ga(task: UnlearnTask, opt, seed, meter, *, alpha: float = 1.0, **run_kw) -> None:
    def step_loss(step, gen):
        forget = task.batch(task.forget, opt.batch_size, gen)
        retain = task.batch(task.retain, opt.batch_size, gen)
        return ga_loss(task, forget, retain, gen, alpha), len(forget[1]) + len(retain[1])

    run_steps(task.model, step_loss, opt, seed, meter, desc="ga", **run_kw)
