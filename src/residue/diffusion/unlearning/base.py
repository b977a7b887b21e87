"""What every diffusion unlearning method receives: the model, the frozen original, D_r and D_f.

A method is a function registered in ``DIFFUSION_UNLEARNING``::

    method(task: UnlearnTask, opt: OptimSpec, seed: int, meter: Meter, *, checkpoint=None, **hp)

that updates ``task.model`` in place through the core's :func:`~residue.diffusion.run_steps`
(one step loop for training, unlearning and relearning).  Images are in [-1, 1]; conditions are
class ids, ``task.forget_class`` is c_f (PAPERS.md §P4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from ...errors import ConfigError
from ...training.gather import rows
from ..schedule import DiffusionSpec, ddpm_scheduler
from ..train import minibatch


@dataclass
class UnlearnTask:
    model: nn.Module  # starts as a copy of the original; updated in place
    original: nn.Module  # the frozen pre-trained ε*, never updated
    retain: tuple[torch.Tensor, torch.Tensor]  # D_r: images (N, C, H, W) in [-1, 1], class ids
    forget: tuple[torch.Tensor, torch.Tensor]  # D_f: images of c_f, labels all c_f
    forget_class: int
    num_classes: int
    spec: DiffusionSpec
    replay: tuple[torch.Tensor, torch.Tensor] | None = None  # original-model samples of retained classes
    fresh_model: Callable[[], nn.Module] | None = None  # a newly initialised denoiser (retrain)
    probe_ua: Callable[[nn.Module], float] | None = None  # UA of a few c_f generations (stopping rules)
    info: dict = field(default_factory=dict)  # what a method reports beside the model (e.g. its stopping step)

    def __post_init__(self):
        if self.spec.prediction_type != "epsilon":  # ESD's, SA's and EraseDiff's targets are noise predictions
            raise ConfigError(f"config error at diffusion.prediction_type: the unlearning methods are defined for "
                              f"epsilon-predicting denoisers, not {self.spec.prediction_type!r}")
        self.scheduler = ddpm_scheduler(self.spec)
        self.original.requires_grad_(False).eval()

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def batch(self, data: tuple[torch.Tensor, torch.Tensor], size: int, gen: torch.Generator):
        """A random minibatch of ``data`` (images, conditions) on the model's device."""
        idx = minibatch(len(data[1]), size, gen)
        return rows(idx, *data, device=self.device)


def other_classes(cond: torch.Tensor, num_classes: int, gen: torch.Generator) -> torch.Tensor:
    """For each c in ``cond`` a class c′ ≠ c drawn uniformly from the other ``num_classes − 1``."""
    shift = torch.randint(1, num_classes, cond.shape, generator=gen).to(cond.device)
    return (cond + shift) % num_classes


def noised(task: UnlearnTask, x0: torch.Tensor, gen: torch.Generator):
    """(x_t, t, ε) for x0 with t ~ U{0..T−1} and ε ~ N(0, I), as in L_simple."""
    t = torch.randint(0, task.scheduler.config.num_train_timesteps, (len(x0),), generator=gen).to(x0.device)
    eps = torch.randn(x0.shape, generator=gen).to(x0.device)
    return task.scheduler.add_noise(x0, eps, t), t, eps
