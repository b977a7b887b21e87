"""Batched DDIM sampling (Song et al. 2021) with classifier-free guidance (Ho & Salimans 2022).

    ε̂ = ε_θ(x_t, ∅) + w · (ε_θ(x_t, c) − ε_θ(x_t, ∅))

with guidance scale ``w`` (w = 1: plain conditional sampling; PAPERS.md §P4 uses w = 2).  The
conditional and unconditional predictions share one forward pass on a doubled batch, run in
``spec.sample_precision`` (bf16 autocast where chosen); ε̂ and the DDIM update are float32.
"""

from __future__ import annotations

import torch

from ..precision import autocast
from .schedule import DiffusionSpec, ddim_scheduler


@torch.no_grad()
def ddim_sample(
    model,
    cond: torch.Tensor,
    spec: DiffusionSpec,
    shape: tuple[int, ...],
    seed: int,
    guidance: float | None = None,
    batch_size: int = 256,
) -> torch.Tensor:
    """Sample one image per row of ``cond``; returns images in [-1, 1] on the CPU."""
    w = spec.guidance if guidance is None else guidance
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    out = []
    for cb in cond.split(batch_size):
        sched = ddim_scheduler(spec)
        x = torch.randn((len(cb), *shape), generator=gen).to(device)
        cb = cb.to(device)
        both = torch.cat([cb, model.null_cond(cb)])
        for t in sched.timesteps:
            tt = torch.full((2 * len(cb),), int(t), device=device, dtype=torch.long)
            with autocast(spec.sample_precision, device):
                eps_both = model(torch.cat([x, x]), tt, both)
            eps_c, eps_u = eps_both.float().chunk(2)
            eps_hat = eps_u + w * (eps_c - eps_u)
            x = sched.step(eps_hat, t, x, eta=spec.eta, generator=gen).prev_sample
        out.append(x.cpu())
    model.train(was_training)
    return torch.cat(out)
