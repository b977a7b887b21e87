"""L_simple (Ho et al. 2020, eq. 14) with classifier-free-guidance condition dropout.

    L_simple(x, c) = E_{t, ε} ‖ε − ε_θ(√ᾱ_t x + √(1−ᾱ_t) ε, t, c)‖²

for an ε-predicting denoiser; a denoiser of another parameterization (the scheduler's
``prediction_type``, :mod:`.parameterization`) regresses its own target, x₀ or v, the same way.

Returned per example (mean over pixels), so unlearning objectives can weight and sign the terms.
"""

from __future__ import annotations

import torch

from .parameterization import PREDICTIONS


def drop_condition(model, cond: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Replace each example's condition by the null condition with probability ``p``."""
    if p <= 0:
        return cond
    drop = torch.rand(cond.shape[0], generator=gen) < p
    drop = drop.to(cond.device).view(-1, *([1] * (cond.dim() - 1)))
    return torch.where(drop, model.null_cond(cond), cond)


def simple_loss(
    model,
    x0: torch.Tensor,
    cond: torch.Tensor,
    scheduler,
    gen: torch.Generator,
    cond_drop: float = 0.0,
    t: torch.Tensor | None = None,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-example L_simple for images ``x0`` in [-1, 1]; ``t``/``noise`` may be given (tests)."""
    b = x0.shape[0]
    if t is None:
        t = torch.randint(0, scheduler.config.num_train_timesteps, (b,), generator=gen)
    if noise is None:
        noise = torch.randn(x0.shape, generator=gen)
    t, noise = t.to(x0.device), noise.to(x0.device)
    x_t = scheduler.add_noise(x0, noise, t)
    out = model(x_t, t, drop_condition(model, cond, cond_drop, gen))
    target = PREDICTIONS[scheduler.config.prediction_type].target(scheduler, x0, noise, t)
    return (out - target).pow(2).flatten(1).mean(1)
