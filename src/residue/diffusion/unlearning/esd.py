"""ESD (Gandikota et al. 2023), class-conditional form (PAPERS.md §P4): regress the c_f prediction
onto negatively guided predictions of the frozen original ε*,

    L = ‖ε_θ(x_t, t, c_f) − [ε*(x_t, t, ∅) − η (ε*(x_t, t, c_f) − ε*(x_t, t, ∅))]‖²,   η = 1.

x_t are noised D_f images (reconstruction: ESD draws x_t from the model's own c_f trajectory; with
D_f at hand, noising it gives the same marginal at the cost of one forward pass, not a sampling run).
"""

from __future__ import annotations

import torch

from ...registries import DIFFUSION_UNLEARNING
from ..train import run_steps
from .base import UnlearnTask, noised


def esd_loss(task: UnlearnTask, forget, gen, eta: float) -> torch.Tensor:
    xf, cf = forget
    x_t, t, _ = noised(task, xf, gen)
    with torch.no_grad():
        e_u = task.original(x_t, t, task.original.null_cond(cf))
        e_c = task.original(x_t, t, cf)
        target = e_u - eta * (e_c - e_u)
    return (task.model(x_t, t, cf) - target).pow(2).mean()


@DIFFUSION_UNLEARNING.register("esd")
def esd(task: UnlearnTask, opt, seed, meter, *, eta: float = 1.0, **run_kw) -> None:
    def step_loss(step, gen):
        forget = task.batch(task.forget, opt.batch_size, gen)
        return esd_loss(task, forget, gen, eta), len(forget[1])

    run_steps(task.model, step_loss, opt, seed, meter, desc="esd", **run_kw)
