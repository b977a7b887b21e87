"""What the denoiser predicts: the noise ε (Ho et al. 2020, eq. 14), the clean image x₀ (the
"sample" prediction Ho et al. 2020 §3.2 compare against), or the velocity
v = √ᾱ_t ε − √(1−ᾱ_t) x₀ (Salimans & Ho 2022, §4).  The names are diffusers' ``prediction_type``
values, so its schedulers step every parameterization themselves.

Each entry gives the training target (the loss is ‖target − f_θ(x_t, t, c)‖², L_simple in that
parameterization) and the ε that an output implies at x_t, the quantity the memorization
detectors read (NeMo's and Wen et al.'s first-step noise predictions): from
x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε,

    ε = (x_t − √ᾱ_t x̂₀) / √(1−ᾱ_t),    ε = √ᾱ_t v̂ + √(1−ᾱ_t) x_t.

The conversion is affine in the output at fixed (x_t, t), so classifier-free guidance gives the
same ε̂ whether it is applied to the outputs or to the ε they imply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


def _alphas(scheduler, t: torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    a = scheduler.alphas_cumprod.to(like.device)[t.to(like.device)].to(like.dtype)
    a = a.view(-1, *([1] * (like.dim() - 1)))
    return a.sqrt(), (1 - a).sqrt()


@dataclass(frozen=True)
class Parameterization:
    target: Callable  # (scheduler, x0, noise, t) -> what the network is trained to output
    epsilon: Callable  # (scheduler, output, x_t, t) -> the ε the output implies


def _eps_from_sample(scheduler, out, x_t, t):
    sa, s1a = _alphas(scheduler, t, x_t)
    return (x_t - sa * out) / s1a


def _eps_from_v(scheduler, out, x_t, t):
    sa, s1a = _alphas(scheduler, t, x_t)
    return sa * out + s1a * x_t


PREDICTIONS = {
    "epsilon": Parameterization(target=lambda s, x0, noise, t: noise, epsilon=lambda s, out, x_t, t: out),
    "sample": Parameterization(target=lambda s, x0, noise, t: x0, epsilon=_eps_from_sample),
    "v_prediction": Parameterization(target=lambda s, x0, noise, t: s.get_velocity(x0, noise, t), epsilon=_eps_from_v),
}


def implied_epsilon(scheduler, output: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The ε a denoiser output implies at ``x_t`` (``t`` one timestep per row), under the
    scheduler's ``prediction_type``."""
    return PREDICTIONS[scheduler.config.prediction_type].epsilon(scheduler, output, x_t, t)
