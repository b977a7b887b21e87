"""Gaussian poisoning (P1, new in Pawelczyk et al. 2025): x_i ← x_i + ξ_i, ξ_i ~ N(0, σ²I), for a
random subset of the training set; labels unchanged.

No clipping to the pixel box by default: GUS (``residue.metrics.gus``) is exactly N(0, 1) under
H0 only for the unclipped Gaussian ξ.  With ``clip=True`` the poisoned images are clamped to
[0, 1] and the returned noise is the effective (clamped, no longer Gaussian) perturbation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..registries import ATTACKS
from ..seeding import generator


@ATTACKS.register("gaussian")
@dataclass(frozen=True)
class GaussianArgs:
    """The attack's config arguments (``attack_args``)."""

    fraction: float = 0.02  # of the training set poisoned
    sigma: float = 0.1  # σ of ξ, in [0, 1] pixel units
    clip: bool = False


def gaussian(x: Tensor, fraction: float, sigma: float, seed: int, clip: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """Return ``(poisoned x, poisoned indices, noise ξ)``; the input ``x`` is not modified."""
    gen = generator(seed, "gaussian-poison")
    n_poison = max(1, round(fraction * len(x)))
    idx = torch.sort(torch.randperm(len(x), generator=gen)[:n_poison]).values
    noise = torch.randn((n_poison, *x.shape[1:]), generator=gen) * sigma
    out = x.clone()
    out[idx] = x[idx] + noise
    if clip:
        out[idx] = out[idx].clamp(0, 1)
        noise = out[idx] - x[idx]
    return out, idx, noise
