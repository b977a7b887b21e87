"""EraseDiff (Wu et al. 2024; PAPERS.md §P4), a bilevel objective in its value-function form:

    min_θ  L_simple(D_r; θ) + λ (L_f(θ) − L_f(θ_K)),   θ_K = θ after K steps of SGD on L_f,

with L_f the random-label loss of SalUn on D_f (K = 2, λ = 0.1).  L_f(θ) − L_f(θ_K) ≥ 0 measures
how far θ is from the lower-level optimum, which θ_K approximates; as in first-order value-function
bilevel solvers, the approximate optimum θ_K is a constant of the outer step (stop-gradient), so the
outer gradient is ∇L_simple(D_r) + λ ∇L_f(θ).  (Passing the gradient through θ_K with
dθ_K/dθ ≈ I instead gives λ(∇L_f(θ) − ∇L_f(θ_K)) ≈ λ·K·lr·H∇L_f, which cancels: that
reconstruction left c_f intact, see experiments/relearning/README.md.)
"""

from __future__ import annotations

import copy
from dataclasses import replace

import torch

from ...registries import DIFFUSION_UNLEARNING
from ..loss import simple_loss
from ..train import run_steps
from .base import UnlearnTask
from .salun import random_label_loss


def inner_model(task: UnlearnTask, forget, gen, k: int, lr: float) -> torch.nn.Module:
    """θ_K: a copy of the model after ``k`` plain SGD steps on L_f (the model is untouched)."""
    shadow = copy.deepcopy(task.model)
    inner = replace(task, model=shadow)
    sgd = torch.optim.SGD(shadow.parameters(), lr=lr)
    for _ in range(k):
        sgd.zero_grad(set_to_none=True)
        random_label_loss(inner, forget, gen).backward()
        sgd.step()
    return shadow.requires_grad_(False)


def erasediff_loss(task: UnlearnTask, forget, retain, gen, lam: float, k: int, inner_lr: float):
    xr, cr = retain
    l_r = simple_loss(task.model, xr, cr, task.scheduler, gen, cond_drop=task.spec.cond_drop).mean()
    at_k = replace(task, model=inner_model(task, forget, gen, k, inner_lr))
    state = gen.get_state()
    l_f = random_label_loss(task, forget, gen)
    gen.set_state(state)  # the same (t, ε, c′) at θ and θ_K
    with torch.no_grad():
        l_f_k = random_label_loss(at_k, forget, gen)
    return l_r + lam * (l_f - l_f_k)


@DIFFUSION_UNLEARNING.register("erasediff")
def erasediff(task: UnlearnTask, opt, seed, meter, *, lam: float = 0.1, k: int = 2, inner_lr: float = 1e-4,
              **run_kw) -> None:
    def step_loss(step, gen):
        forget = task.batch(task.forget, opt.batch_size, gen)
        retain = task.batch(task.retain, opt.batch_size, gen)
        loss = erasediff_loss(task, forget, retain, gen, lam, k, inner_lr)
        return loss, (k + 1) * len(forget[1]) + len(retain[1])

    run_steps(task.model, step_loss, opt, seed, meter, desc="erasediff", **run_kw)
