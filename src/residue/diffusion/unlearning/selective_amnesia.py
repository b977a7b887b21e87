"""Selective Amnesia (Heng & Soh 2023), class-conditional form (PAPERS.md §P4):

    L = L_simple(u, c_f) + γ · L_simple(x̃, c̃) + λ · Σ_i F_i (θ_i − θ*_i)²

u: uniform-noise images (the surrogate distribution c_f is re-mapped to); (x̃, c̃): samples the
original model generated for the retained classes (generative replay; the relearning experiment
passes only those its evaluator labels as the prompted class, as SA replays a model that generates
its classes faithfully); F: the diagonal Fisher
information of the original model, E[(∇_θ L_simple)²] over replayed samples, from per-sample
gradients (``torch.func``); γ = 1, λ = 10.
"""

from __future__ import annotations

import torch
from torch.func import functional_call, grad, vmap

from ...registries import DIFFUSION_UNLEARNING
from ..loss import simple_loss
from ..train import run_steps
from .base import UnlearnTask, noised


def fisher_diagonal(task: UnlearnTask, x0, cond, gen, chunk: int = 16) -> dict[str, torch.Tensor]:
    """Mean squared per-sample gradient of L_simple at the original weights θ*."""
    model = task.original
    params = {n: p.detach() for n, p in model.named_parameters()}

    def loss(p, x_t, t, eps, c):
        out = functional_call(model, p, (x_t[None], t[None], c[None]))
        return (out - eps[None]).pow(2).mean()

    per_sample = vmap(grad(loss), in_dims=(None, 0, 0, 0, 0))
    fisher = {n: torch.zeros_like(p) for n, p in params.items()}
    for xb, cb in zip(x0.split(chunk), cond.split(chunk)):
        x_t, t, eps = noised(task, xb.to(task.device), gen)
        for n, g in per_sample(params, x_t, t, eps, cb.to(task.device)).items():
            fisher[n] += g.pow(2).sum(0)
    return {n: f / len(cond) for n, f in fisher.items()}


def ewc_penalty(model, fisher: dict[str, torch.Tensor], anchor: dict[str, torch.Tensor]) -> torch.Tensor:
    """Σ_i F_i (θ_i − θ*_i)²."""
    return sum((fisher[n] * (p - anchor[n]).pow(2)).sum() for n, p in model.named_parameters())


def sa_loss(task: UnlearnTask, forget_cond, replay, gen, gamma: float, lam: float, fisher, anchor):
    noise_images = torch.rand((len(forget_cond), *task.forget[0].shape[1:]), generator=gen).to(task.device) * 2 - 1
    l_f = simple_loss(task.model, noise_images, forget_cond, task.scheduler, gen).mean()
    xr, cr = replay
    l_r = simple_loss(task.model, xr, cr, task.scheduler, gen, cond_drop=task.spec.cond_drop).mean()
    return l_f + gamma * l_r + lam * ewc_penalty(task.model, fisher, anchor)


@DIFFUSION_UNLEARNING.register("sa")
def selective_amnesia(task: UnlearnTask, opt, seed, meter, *, gamma: float = 1.0, lam: float = 10.0,
                      fisher_samples: int = 64, **run_kw) -> None:
    from ...seeding import generator

    if task.replay is None or len(task.replay[1]) == 0:
        raise ValueError("Selective Amnesia needs replayed samples of the retained classes (task.replay is empty)")
    gen = generator(seed, "fisher")
    x, c = task.replay
    idx = torch.randperm(len(c), generator=gen)[:fisher_samples]
    fisher = fisher_diagonal(task, x[idx], c[idx], gen)
    meter.charge(len(idx))
    anchor = {n: p.detach().clone() for n, p in task.original.named_parameters()}

    def step_loss(step, gen):
        cf = torch.full((opt.batch_size,), task.forget_class, device=task.device)
        replay = task.batch(task.replay, opt.batch_size, gen)
        return sa_loss(task, cf, replay, gen, gamma, lam, fisher, anchor), 2 * opt.batch_size

    run_steps(task.model, step_loss, opt, seed, meter, desc="sa", **run_kw)
