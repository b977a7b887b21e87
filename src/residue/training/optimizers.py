"""Optimizers and learning-rate schedules by name."""

from __future__ import annotations

import math

import torch

from ..registries import OPTIMIZERS


@OPTIMIZERS.register("sgd")
def sgd(params, lr: float, momentum: float, weight_decay: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


@OPTIMIZERS.register("adam")
def adam(params, lr: float, momentum: float, weight_decay: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=lr, betas=(momentum, 0.999), weight_decay=weight_decay)


# lr multipliers at optimizer step ``step`` of ``total``; "linear" reaches 0 after the last step
# (the budget-aware schedule of Li, Yumer & Ramanan 2020, used by every budgeted unlearning method).
SCHEDULES = {
    "constant": lambda step, total: 1.0,
    "linear": lambda step, total: max(0.0, 1.0 - step / max(total, 1)),
    "cosine": lambda step, total: 0.5 * (1 + math.cos(math.pi * min(step, total) / max(total, 1))),
}
