"""Retrain: the exact-unlearning reference — train a fresh denoiser on D_r only (PAPERS.md §P4).

The forget class's embedding is never trained, so whatever c_f prompts produce carries no
information about D_f; DiMRA on this model is the control.
"""

from __future__ import annotations

from ...registries import DIFFUSION_UNLEARNING
from ..train import train_denoiser
from .base import UnlearnTask


@DIFFUSION_UNLEARNING.register("retrain")
def retrain(task: UnlearnTask, opt, seed, meter, **run_kw) -> None:
    """L_simple(D_r) with condition dropout, from a fresh initialisation, with the original's recipe."""
    task.model.load_state_dict(task.fresh_model().state_dict())
    x, c = task.retain
    train_denoiser(task.model, x, c, task.spec, opt, seed, meter, desc="retrain", **run_kw)
