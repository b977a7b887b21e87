"""Noise schedules come from diffusers: DDPM for training, DDIM (same betas) for sampling."""

from __future__ import annotations

from dataclasses import dataclass

from diffusers import DDIMScheduler, DDPMScheduler

from ..errors import ConfigError
from .parameterization import PREDICTIONS


@dataclass(frozen=True)
class DiffusionSpec:
    """The diffusion process. Defaults follow the SalUn/EraseDiff DDPM setting (PAPERS.md §P4):
    T = 1000, linear β from 1e-4 to 0.02, condition dropout 0.1, guidance scale 2.

    ``sample_precision`` is the sampler's forward passes only (``residue.precision``: fp32, bf16 or
    auto); training, the scheduler's update and everything scored from the samples stay float32.

    ``prediction_type`` is what the denoiser outputs (:mod:`.parameterization`): ``epsilon`` (the
    papers' and P4's), ``sample`` (x₀; P3's default, chosen by a pilot: experiments/fb_mem/README.md)
    or ``v_prediction``."""

    num_train_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    beta_schedule: str = "linear"
    cond_drop: float = 0.1
    guidance: float = 2.0
    sample_steps: int = 50
    eta: float = 0.0
    sample_precision: str = "fp32"
    prediction_type: str = "epsilon"

    def __post_init__(self):
        if self.prediction_type not in PREDICTIONS:
            raise ConfigError(f"unknown diffusion prediction_type {self.prediction_type!r} (one of {sorted(PREDICTIONS)})")


def ddpm_scheduler(spec: DiffusionSpec) -> DDPMScheduler:
    return DDPMScheduler(
        num_train_timesteps=spec.num_train_timesteps,
        beta_start=spec.beta_start,
        beta_end=spec.beta_end,
        beta_schedule=spec.beta_schedule,
        prediction_type=spec.prediction_type,
        clip_sample=True,
    )


def ddim_scheduler(spec: DiffusionSpec) -> DDIMScheduler:
    sched = DDIMScheduler.from_config(ddpm_scheduler(spec).config)
    sched.set_timesteps(spec.sample_steps)
    return sched


def to_model_range(x01):
    """[0, 1] images → [-1, 1], the range the UNet is trained on."""
    return x01 * 2 - 1


def to_unit_range(x):
    """[-1, 1] samples → [0, 1] images, clipped."""
    return ((x + 1) / 2).clamp(0, 1)
