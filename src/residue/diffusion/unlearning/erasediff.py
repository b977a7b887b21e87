"""EraseDiff (Wu et al. 2024; PAPERS.md §P4), a bilevel objective solved first-order:

    min_θ  L_simple(D_r; θ) + λ (L_f(θ) − L_f(θ_K)),   θ_K = θ after K steps of SGD on L_f,

with L_f the random-label loss of SalUn on D_f (K = 2, λ = 0.1).  θ_K is evaluated as
θ + sg[θ_K − θ], so the gradient of the second term is ∇L_f at θ_K (the first-order
approximation of dθ_K/dθ ≈ I).
"""

from __future__ import annotations

import copy
from dataclasses import replace

import torch
from torch.func import functional_call

from ...registries import DIFFUSION_UNLEARNING
from ..loss import simple_loss
from ..train import run_steps
from .base import UnlearnTask
from .salun import random_label_loss


def inner_steps(task: UnlearnTask, forget, gen, k: int, lr: float) -> dict[str, torch.Tensor]:
    """θ_K − θ after ``k`` plain SGD steps on L_f (on a copy; the model is untouched)."""
    shadow = copy.deepcopy(task.model)
    inner = replace(task, model=shadow)
    sgd = torch.optim.SGD(shadow.parameters(), lr=lr)
    for _ in range(k):
        sgd.zero_grad(set_to_none=True)
        random_label_loss(inner, forget, gen).backward()
        sgd.step()
    own = dict(task.model.named_parameters())
    return {n: (p.detach() - own[n].detach()) for n, p in shadow.named_parameters()}


class _Shifted(torch.nn.Module):
    """The model evaluated at θ + δ (δ constant), so gradients flow to θ unchanged."""

    def __init__(self, model, delta):
        super().__init__()
        self.model, self.delta = model, delta

    def forward(self, x, t, c):
        params = {n: p + self.delta[n] for n, p in self.model.named_parameters()}
        return functional_call(self.model, params, (x, t, c))


def erasediff_loss(task: UnlearnTask, forget, retain, gen, lam: float, k: int, inner_lr: float):
    xr, cr = retain
    l_r = simple_loss(task.model, xr, cr, task.scheduler, gen, cond_drop=task.spec.cond_drop).mean()
    delta = inner_steps(task, forget, gen, k, inner_lr)
    at_k = replace(task, model=_Shifted(task.model, delta))
    state = gen.get_state()
    l_f = random_label_loss(task, forget, gen)
    gen.set_state(state)  # the same (t, ε, c′) at θ and θ_K
    l_f_k = random_label_loss(at_k, forget, gen)
    return l_r + lam * (l_f - l_f_k)


@DIFFUSION_UNLEARNING.register("erasediff")
def erasediff(task: UnlearnTask, opt, seed, meter, *, lam: float = 0.1, k: int = 2, inner_lr: float = 1e-4,
              **run_kw) -> None:
    def step_loss(step, gen):
        forget = task.batch(task.forget, opt.batch_size, gen)
        retain = task.batch(task.retain, opt.batch_size, gen)
        loss = erasediff_loss(task, forget, retain, gen, lam, k, inner_lr)
        return loss, (k + 2) * len(forget[1]) + len(retain[1])

    run_steps(task.model, step_loss, opt, seed, meter, desc="erasediff", **run_kw)
