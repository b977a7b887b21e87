"""Indiscriminate Gradient Canceling (Lu, Kamath & Yu, ICML 2023; PAPERS.md §P1), for a convex victim.

GC makes chosen target parameters θ_p a stationary point of the victim's training objective on
D_c ∪ D_p by minimising, over the poison inputs (Lu et al., Eq. 6, sum-reduced losses),

    ‖∇θ L(θ_p; D_c) + ∇θ L(θ_p; D_p) + N·λ·θ_p‖₂,     N = |D_c| + |D_p|,

where λ is the victim's weight decay (SGD's ``weight_decay`` on the mean loss: the stationarity
of mean-loss + λ/2‖θ‖² is this sum times 1/N), so the cancelled objective is exactly the one the
victim minimises.  For a convex victim the poisoned optimum is then θ_p.

Three choices make the attack able to work, each checked by a number the bundle records:
  * **reachable θ_p** — θ_p is the optimum on D_c plus n_p *label-flipped* clean points (each
    point relabelled to the class the clean model finds least likely), the way Koh, Steinhardt &
    Liang (2022, KKT attack) and Suya et al. (2021) build their target models.  Those flipped
    points are themselves a feasible poison set with zero GC loss, so a solution provably exists.
    ``scale`` > 1 multiplies the flipped inputs (unclipped variant only: the points leave the box).
  * **reachability check** — :func:`max_poison_grad_norm` bounds what n_p poisons in the feasible
    set can contribute, and :func:`max_poison_bias_grad_norm` what they can contribute to the bias,
    box or no box; both are compared with the gradient to cancel before crafting.
  * **clipped and unclipped** — the official code optimises unclipped inputs; ``clip`` keeps every
    poison in the pixel box [0, 1] (a stricter threat model).
Poisons start from copies of *other* clean images carrying the flipped labels, and follow plain
gradient descent with cosine-decayed lr (the official optimiser).
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..compute import Meter
from ..errors import ConfigError
from ..registries import ATTACKS
from ..seeding import generator
from ..training.lbfgs import minimise
from ..training.loop import cross_entropy


@ATTACKS.register("gradient_canceling")
@dataclass(frozen=True)
class GCSpec:
    fraction: float = 0.03  # ε_d: poisons per clean example
    steps: int = 1000
    lr: float = 10.0
    clip: bool = True  # keep poisons in the pixel box [0, 1]; the official code does not
    scale: float = 1.0  # input scale of the flipped points defining θ_p (> 1 only when unclipped)
    optimum_iters: int = 200  # L-BFGS evaluations (at most) fitting θ_p to the optimum

    def __post_init__(self):
        if self.clip and self.scale != 1.0:
            raise ConfigError("config error at attack_args.scale: scale != 1 puts the θ_p witness outside the pixel box; allowed only with clip: false")


def flat_params(model: nn.Module) -> Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def stationarity_grad(model: nn.Module, x: Tensor, y: Tensor, weight_decay: float, n_total: int, create_graph=False) -> Tensor:
    """∇θ [Σ_i ℓ(θ; x_i, y_i) + n_total·λ/2·‖θ‖²]: zero exactly at the optimum of the victim's objective."""
    loss = F.cross_entropy(model(x), y, reduction="sum")
    grads = torch.autograd.grad(loss, list(model.parameters()), create_graph=create_graph)
    return torch.cat([(g + n_total * weight_decay * p.detach()).reshape(-1) for g, p in zip(grads, model.parameters())])


def sum_grad(model: nn.Module, x: Tensor, y: Tensor, create_graph=False) -> Tensor:
    """∇θ Σ_i ℓ(θ; x_i, y_i) (the poisons' share of the GC loss; no regulariser)."""
    return stationarity_grad(model, x, y, 0.0, 0, create_graph)


def fit_optimum(model: nn.Module, x: Tensor, y: Tensor, weight_decay: float, iters: int, meter: Meter) -> nn.Module:
    """A copy of ``model`` at the optimum of mean CE + λ/2‖θ‖² on (x, y): full-batch L-BFGS, ``iters`` evaluations at most."""
    out = copy.deepcopy(model)
    minimise(out, x, y, weight_decay, iters, meter, cross_entropy)
    return out


def _linear(model: nn.Module) -> nn.Linear:
    """The victim's only layer; the bounds below hold for the linear softmax model alone."""
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if len(linear) != 1 or sum(p.numel() for p in model.parameters()) != sum(p.numel() for p in linear[0].parameters()):
        raise ValueError("the poisons' gradient bounds hold for a single linear layer (the logreg victim) only")
    return linear[0]


def max_poison_grad_norm(model: nn.Module, n_poison: int, clip: bool) -> float:
    """Upper bound on ‖Σ_{D_p} ∇θ ℓ‖ for n_p poisons in the feasible set, for the linear softmax victim.

    For z = Wx + b, ∇_(W,b) ℓ = (p − e_y) ⊗ (x, 1), so ‖∇ℓ‖ = ‖p − e_y‖·√(‖x‖² + 1) ≤ √2·√(d + 1)
    with x ∈ [0, 1]^d (the sup: p on one wrong class); the bound times n_p bounds the sum.  With no
    box the norm is unbounded (``inf``), but its bias part is not (:func:`max_poison_bias_grad_norm`)."""
    d = _linear(model).in_features
    return n_poison * math.sqrt(2.0) * math.sqrt(d + 1) if clip else math.inf


def max_poison_bias_grad_norm(model: nn.Module, n_poison: int) -> float:
    """Upper bound on the bias part of ‖Σ_{D_p} ∇θ ℓ‖, whatever the inputs: ∇_b ℓ = p − e_y, and
    ‖p − e_y‖ ≤ √2, so n_p poisons give at most n_p·√2 — a target whose clean bias gradient is larger
    is out of reach even for unclipped poisons."""
    _linear(model)
    return n_poison * math.sqrt(2.0)


def bias_part(model: nn.Module, grad: Tensor) -> Tensor:
    """The bias entries of a flat gradient over ``model.parameters()`` (in their order)."""
    bias, offset = _linear(model).bias, 0
    for p in model.parameters():
        if p is bias:
            return grad[offset: offset + p.numel()]
        offset += p.numel()
    raise ValueError("bias_part: the linear layer has no bias")


def draw(clean: nn.Module, x: Tensor, y: Tensor, spec: GCSpec, seed: int) -> tuple[Tensor, Tensor]:
    """Disjoint clean indices: the n_p points the clean model fits most confidently (flipped to
    define θ_p: flipping them moves the optimum furthest), and n_p random others the poisons start from."""
    n_poison = max(1, round(spec.fraction * len(y)))
    with torch.no_grad():
        confidence = F.log_softmax(clean(x), 1).gather(1, y[:, None]).squeeze(1)
    order = confidence.argsort(descending=True)
    rest = order[n_poison:][torch.randperm(len(y) - n_poison, generator=generator(seed, "gc-init"))]
    return order[:n_poison], rest[:n_poison]


def label_flip_target(clean: nn.Module, x: Tensor, y: Tensor, idx: Tensor, spec: GCSpec, weight_decay: float,
                      meter: Meter) -> tuple[nn.Module, Tensor, Tensor]:
    """θ_p = optimum on D_c ∪ the points ``idx`` (inputs × ``scale``) relabelled to the class the clean
    model finds least likely; returns (θ_p, witness x, witness labels)."""
    with torch.no_grad():
        y_flip = clean(x[idx]).argmin(1)
    x_flip = x[idx] * spec.scale
    target = fit_optimum(clean, torch.cat([x, x_flip]), torch.cat([y, y_flip]), weight_decay, spec.optimum_iters, meter)
    return target, x_flip, y_flip


def reachability(target: nn.Module, x: Tensor, y: Tensor, n_poison: int, weight_decay: float, clip: bool) -> dict:
    """The gradient the poisons must cancel at θ_p, whole and its bias part, against the most they can contribute."""
    grad = stationarity_grad(target, x, y, weight_decay, len(y) + n_poison)
    to_cancel, bias_to_cancel = grad.norm().item(), bias_part(target, grad).norm().item()
    bound, bias_bound = max_poison_grad_norm(target, n_poison, clip), max_poison_bias_grad_norm(target, n_poison)
    for what, need, most in (("gradient", to_cancel, bound), ("bias gradient", bias_to_cancel, bias_bound)):
        if need > most:
            warnings.warn(f"gradient_canceling: θ_p is unreachable: the {what} to cancel ({need:.1f}) exceeds the "
                          f"most {n_poison} poisons can contribute ({most:.1f}); the attack can only fail", stacklevel=2)
    return {"gc_clean_grad_norm_at_target": to_cancel, "gc_max_poison_grad_norm": None if math.isinf(bound) else bound,
            "gc_clean_bias_grad_norm_at_target": bias_to_cancel, "gc_max_poison_bias_grad_norm": bias_bound,
            "gc_reachable": to_cancel <= bound and bias_to_cancel <= bias_bound}


def gradient_canceling(target: nn.Module, x: Tensor, y: Tensor, x_init: Tensor, y_poison: Tensor, spec: GCSpec,
                       weight_decay: float, meter: Meter) -> tuple[Tensor, list[float]]:
    """Poison inputs (labels ``y_poison``) making ``target`` (θ_p) stationary on D_c ∪ D_p; returns (x_p, loss curve)."""
    target.eval()
    n_poison = len(y_poison)
    clean_grad = stationarity_grad(target, x, y, weight_decay, len(y) + n_poison).detach()
    meter.charge(len(y))
    xp = x_init.clone().requires_grad_(True)
    curve = []
    for step in range(spec.steps):
        lr = spec.lr * 0.5 * (1 + math.cos(math.pi * step / max(spec.steps, 1)))
        loss = (clean_grad + sum_grad(target, xp, y_poison, create_graph=True)).norm()
        (g,) = torch.autograd.grad(loss, [xp])
        meter.charge(n_poison)
        with torch.no_grad():
            xp.sub_(lr * g)
            if spec.clip:
                xp.clamp_(0, 1)
        curve.append(loss.item())
    curve.append((clean_grad + sum_grad(target, xp, y_poison)).norm().item())
    return xp.detach(), curve
