"""Indiscriminate Gradient Canceling (Lu, Kamath & Yu, ICML 2023; PAPERS.md §P1).

Two steps:
  1. target parameters θ_p: gradient-based corruption of a clean model — projected gradient
     *ascent* on the clean training loss inside the ball ‖θ − θ_clean‖₂ ≤ r·‖θ_clean‖₂;
  2. poisons: start from copies of clean images with their labels and minimise
     ‖∇θ L(θ_p; D_clean) + ∇θ L(θ_p; D_poison)‖₂ (sum-reduced losses) over the poison inputs by
     plain gradient descent with cosine-decayed lr, clipping to the pixel box [0, 1] after
     every step.  If the norm reaches 0, θ_p is a stationary point of training on D_c ∪ D_p.
The clean gradient is computed once; each poison step costs |D_p| gradient evaluations.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..compute import Meter
from ..registries import ATTACKS
from ..seeding import generator


@dataclass(frozen=True)
class GCSpec:
    fraction: float = 0.03  # ε_d: poisons per clean example
    steps: int = 1000
    lr: float = 10.0
    radius: float = 0.5  # corruption ball, relative to ‖θ_clean‖
    corrupt_steps: int = 100
    corrupt_lr: float = 0.1


def flat_params(model: nn.Module) -> Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def corrupt(model: nn.Module, x: Tensor, y: Tensor, spec: GCSpec, meter: Meter) -> nn.Module:
    """θ_p: maximise the clean loss by projected gradient ascent within the relative ball."""
    target = copy.deepcopy(model)
    centre = flat_params(model)
    radius = spec.radius * centre.norm()
    for _ in range(spec.corrupt_steps):
        loss = F.cross_entropy(target(x), y)
        grads = torch.autograd.grad(loss, list(target.parameters()))
        meter.charge(len(y))
        with torch.no_grad():
            for p, g in zip(target.parameters(), grads):
                p.add_(g / (g.norm() + 1e-12), alpha=spec.corrupt_lr * radius.item())
            shift = flat_params(target) - centre
            if shift.norm() > radius:
                torch.nn.utils.vector_to_parameters(centre + shift * (radius / shift.norm()), target.parameters())
    return target


def _grad(model, x, y, create_graph=False) -> Tensor:
    loss = F.cross_entropy(model(x), y, reduction="sum")
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, list(model.parameters()), create_graph=create_graph)])


@ATTACKS.register("gradient_canceling")
def gradient_canceling(target: nn.Module, x: Tensor, y: Tensor, spec: GCSpec, seed: int, meter: Meter) -> tuple[Tensor, Tensor, list[float]]:
    """Return ``(poison x, poison y, loss curve)`` making ``target`` (θ_p) stationary on D_c ∪ D_p."""
    target.eval()
    clean_grad = _grad(target, x, y).detach()
    meter.charge(len(y))
    n_poison = max(1, round(spec.fraction * len(y)))
    idx = torch.randperm(len(y), generator=generator(seed, "gc-init"))[:n_poison]
    xp, yp = x[idx].clone().requires_grad_(True), y[idx].clone()
    curve = []
    for step in range(spec.steps):
        lr = spec.lr * 0.5 * (1 + math.cos(math.pi * step / max(spec.steps, 1)))
        loss = (clean_grad + _grad(target, xp, yp, create_graph=True)).norm()
        (g,) = torch.autograd.grad(loss, [xp])
        meter.charge(n_poison)
        with torch.no_grad():
            xp.sub_(lr * g).clamp_(0, 1)
        curve.append(loss.item())
    return xp.detach(), yp, curve
