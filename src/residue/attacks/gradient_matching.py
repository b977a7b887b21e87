"""Witches' Brew: targeted clean-label poisoning by gradient matching (Geiping et al., ICLR 2021).

Used twice in this repository, with one code path:
  * P1 (and P2's poisons): bases from the adversarial class, target label = ``y_adv``;
  * P2's camouflages: bases from the target's true class, target label = ``y_t``, brewed against
    the *poisoned* model (PAPERS.md §P2, ψ(Δ)).

The brew minimises the gradient-alignment loss (PAPERS.md §P1, Witches' Brew eq.)::

    L(Δ) = 1 − cos( ∇θ ℓ(x_t, y_label),  Σ_i ∇θ ℓ(x_i + Δ_i, y_i) )

over perturbations with ‖Δ_i‖∞ ≤ ε and x_i + Δ_i in the pixel box [0, 1] (projected after every
step), with *signed* Adam and step-wise lr drops (×0.1 at 3/8, 5/8 and 7/8 of the steps),
R random restarts keeping the lowest final loss, the model in eval mode, and an optional
differentiable augmentation of the poisons — random integer shifts of up to ``shift`` pixels and,
for datasets whose classes are mirror-invariant, horizontal flips (``flip``; off for
Fashion-MNIST) — so that the alignment does not rest on one exact pixel grid.  Σ_i ∇θ ℓ_i =
∇θ Σ_i ℓ_i, so the poison gradient is one backward pass (with ``create_graph`` for the second
derivative w.r.t. Δ), no per-sample loop.

**Ensembles** (the forest recipe of Geiping et al. 2021, for transfer to victims retrained from
scratch): given several brewing models, the loss is the mean of the per-model alignment losses,
each with that model's own target gradient.

``lr`` is in the units of Δ here, [0, 1] pixels.  With signed gradients each Adam step moves Δ by
≈ lr, so lr must be a fraction of ε: the official lr 0.1 acts on *normalised* inputs (CIFAR-10 std
≈ 0.25), i.e. ≈ 0.025 px ≈ 0.4 ε at ε = 16/255.  An lr of 0.1 px (1.6 ε per step) only bounces Δ
between the corners of the box (our first runs: final loss 0.66–0.78 vs 0.10 at lr 0.01).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..compute import Meter
from ..registries import ATTACKS
from ..seeding import generator


@dataclass(frozen=True)
class BrewSpec:
    eps: float = 16 / 255
    steps: int = 250
    restarts: int = 8
    lr: float = 0.1
    shift: int = 0  # differentiable random shifts of up to this many pixels (0 = no augmentation)
    flip: bool = False  # also random horizontal flips (not for Fashion-MNIST: shoes point one way)


@ATTACKS.register("gradient_matching")
@dataclass(frozen=True)
class TargetedBrew(BrewSpec):
    """P1's config arguments (``attack_args``): the brew, and how its targets and bases are drawn
    (:func:`residue.attacks.targets.pick_targets`)."""

    targets: int = 1  # per training run
    poisons_per_target: int = 10
    max_margin: float | None = None  # only targets the clean model classifies with at most this margin
    adversary: str = "random"  # y_adv rule: random | runner_up
    ensemble: int = 1  # clean models the poisons are brewed against


def flat_grad(loss: Tensor, params: list[Tensor], create_graph: bool = False) -> Tensor:
    """∇θ loss as one flat vector (concatenated over every parameter tensor)."""
    grads = torch.autograd.grad(loss, params, create_graph=create_graph)
    return torch.cat([g.reshape(-1) for g in grads])


def alignment_loss(target_grad: Tensor, poison_grad: Tensor) -> Tensor:
    """1 − cos(target gradient, summed poison gradient), over all parameters at once."""
    return 1 - F.cosine_similarity(target_grad, poison_grad, dim=0)


def augment(x: Tensor, gen: torch.Generator, shift: int, flip: bool = False) -> Tensor:
    """Random integer shift (up to ``shift`` pixels per axis) and optional horizontal flip per image,
    differentiable in x: one affine grid per image, nearest sampling and zero padding, so a shift
    of k pixels is exact."""
    n, _, h, w = x.shape
    sign = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0) if flip else torch.ones(n)
    move = torch.randint(-shift, shift + 1, (n, 2), generator=gen).float()
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = sign
    theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = 2 * move[:, 0] / w
    theta[:, 1, 2] = 2 * move[:, 1] / h
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def project(delta: Tensor, base_x: Tensor, eps: float) -> Tensor:
    """Onto {‖Δ‖∞ ≤ ε} ∩ {0 ≤ x + Δ ≤ 1} (the intersection of two boxes: clamp twice)."""
    delta = delta.clamp(-eps, eps)
    return (base_x + delta).clamp(0, 1) - base_x


def ensemble_loss(models, params, target_grads, x: Tensor, y: Tensor, create_graph: bool) -> Tensor:
    """Mean over the brewing models of 1 − cos(∇θ_m ℓ(x_t, y_label), Σ_i ∇θ_m ℓ(x_i, y_i))."""
    losses = [alignment_loss(tg, flat_grad(F.cross_entropy(m(x), y, reduction="sum"), p, create_graph=create_graph))
              for m, p, tg in zip(models, params, target_grads)]
    return torch.stack(losses).mean()


def _restart(models, params, target_grads, base_x, base_y, spec, gen, meter) -> tuple[Tensor, list[float]]:
    delta = ((torch.rand(base_x.shape, generator=gen) * 2 - 1) * spec.eps).to(base_x.device)
    delta = project(delta, base_x, spec.eps).requires_grad_(True)
    opt = torch.optim.Adam([delta], lr=spec.lr)
    milestones = [int(spec.steps * f) for f in (3 / 8, 5 / 8, 7 / 8)]
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma=0.1)
    curve = []
    for _ in range(spec.steps):
        x = base_x + delta
        if spec.shift or spec.flip:
            x = augment(x, gen, spec.shift, spec.flip)
        loss = ensemble_loss(models, params, target_grads, x, base_y, create_graph=True)
        (delta.grad,) = torch.autograd.grad(loss, [delta])
        delta.grad.sign_()  # signed Adam, as in Witches' Brew
        opt.step()
        sched.step()
        with torch.no_grad():
            delta.copy_(project(delta, base_x, spec.eps))
        meter.charge(len(base_y) * len(models))
        curve.append(loss.item())
    return delta.detach(), curve


def final_loss(models, params, target_grads, x, y) -> float:
    """The alignment loss of finished poisons (mean over the models), without augmentation."""
    return ensemble_loss(models, params, target_grads, x, y, create_graph=False).item()


def brew(
    models: nn.Module | list[nn.Module],
    target_x: Tensor,
    target_label: int,
    base_x: Tensor,
    base_y: Tensor,
    spec: BrewSpec,
    seed: int,
    meter: Meter,
) -> tuple[Tensor, dict]:
    """Return ``(base_x + Δ, info)``: the best of ``spec.restarts`` brews of ``spec.steps`` steps.

    ``models`` is one brewing model or an ensemble.  ``target_x`` is one image ``(C, H, W)`` (or a
    batch whose labels are all ``target_label``); ``base_x`` ``(N, C, H, W)`` in [0, 1] with labels
    ``base_y``.  ``info`` holds ``loss`` (the best restart's final loss, no augmentation),
    ``base_loss`` (the loss of the *unperturbed* bases: how aligned they already are, the headroom
    the brew starts from), ``loss_curve`` (the best restart's per-step loss) and ``restart_losses``.
    Each step charges ``N`` gradient evaluations per model to ``meter``.
    """
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    if base_x.ndim != 4 or len(base_x) != len(base_y) or len(base_y) == 0:
        raise ValueError(f"base_x must be (N, C, H, W) with N = len(base_y) > 0, got {tuple(base_x.shape)}")
    if spec.restarts < 1 or spec.steps < 0 or spec.eps < 0 or spec.shift < 0 or not models:
        raise ValueError(f"BrewSpec needs restarts ≥ 1, steps ≥ 0, eps ≥ 0, shift ≥ 0 and ≥ 1 model, got {spec}")
    was_training = [m.training for m in models]
    for m in models:
        m.eval()
    device = next(models[0].parameters()).device
    params = [[p for p in m.parameters() if p.requires_grad] for m in models]
    target_x = (target_x if target_x.ndim == 4 else target_x[None]).to(device)
    target_y = torch.full((len(target_x),), int(target_label), dtype=torch.long, device=device)
    base_x, base_y = base_x.to(device), base_y.to(device)
    target_grads = [flat_grad(F.cross_entropy(m(target_x), target_y, reduction="sum"), p).detach() for m, p in zip(models, params)]
    meter.charge(len(target_x) * len(models))
    base_loss = final_loss(models, params, target_grads, base_x, base_y)
    meter.charge(len(base_y) * len(models))
    gen = generator(seed, "brew")
    best, best_loss, best_curve, losses = None, float("inf"), [], []
    for _ in range(spec.restarts):
        delta, curve = _restart(models, params, target_grads, base_x, base_y, spec, gen, meter)
        loss = final_loss(models, params, target_grads, base_x + delta, base_y)
        meter.charge(len(base_y) * len(models))
        losses.append(loss)
        if loss < best_loss:
            best, best_loss, best_curve = delta, loss, curve
    for m, t in zip(models, was_training):
        m.train(t)
    return (base_x + best).detach(), {"loss": best_loss, "base_loss": base_loss, "loss_curve": best_curve, "restart_losses": losses}
