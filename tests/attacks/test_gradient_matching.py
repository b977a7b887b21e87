"""Witches' Brew gradient matching on a tiny CNN and tiny images: real behaviour, seconds."""

import torch
from torch import nn

from residue.attacks.gradient_matching import BrewSpec, TargetedBrew, alignment_loss, augment, brew, final_loss, flat_grad
from residue.compute import Meter
from residue.registries import ATTACKS

import torch.nn.functional as F


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 3))


def data(seed=1, n=6):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, 8, 8, generator=g), torch.rand(n, 1, 8, 8, generator=g), torch.full((n,), 2)


def test_registered_arguments_extend_the_brew():
    """P1's ``attack_args`` for gradient matching: the brew's fields plus the target draw."""
    args = ATTACKS.get("gradient_matching")
    assert args is TargetedBrew and issubclass(args, BrewSpec)
    assert args(steps=3).steps == 3 and args().poisons_per_target == 10


def test_brew_lowers_alignment_loss_and_respects_constraints():
    model = tiny_model()
    target_x, base_x, base_y = data()
    spec = BrewSpec(eps=16 / 255, steps=40, restarts=2, lr=0.1)
    meter = Meter()
    poisons, info = brew(model, target_x, 2, base_x, base_y, spec, seed=3, meter=meter)
    params = list(model.parameters())
    target_grad = flat_grad(F.cross_entropy(model(target_x[None]), torch.tensor([2]), reduction="sum"), params)
    clean_loss = final_loss([model], [params], [target_grad], base_x, base_y)
    assert abs(info["base_loss"] - clean_loss) < 1e-6  # the headroom: the unperturbed bases' loss
    assert info["loss"] < 0.8 * clean_loss  # the brew aligns the poison gradient with the target's
    assert info["loss"] == min(info["restart_losses"]) and len(info["restart_losses"]) == 2
    assert len(info["loss_curve"]) == 40
    assert (poisons - base_x).abs().max() <= spec.eps + 1e-6
    assert poisons.min() >= 0 and poisons.max() <= 1
    # target gradient (1) + the bases' loss (N) + per restart: steps × N + final evaluation × N
    assert meter.grad_evals == 1 + 6 + 2 * (40 * 6 + 6)
    assert model.training  # nn.Module default is train mode; brew restores it


def test_brew_is_deterministic_and_seed_dependent():
    target_x, base_x, base_y = data()
    spec = BrewSpec(eps=16 / 255, steps=5, restarts=1, shift=2)
    a, _ = brew(tiny_model(), target_x, 0, base_x, base_y, spec, seed=0, meter=Meter())
    b, _ = brew(tiny_model(), target_x, 0, base_x, base_y, spec, seed=0, meter=Meter())
    c, _ = brew(tiny_model(), target_x, 0, base_x, base_y, spec, seed=1, meter=Meter())
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_pixel_box_binds_at_the_edges():
    model = tiny_model()
    target_x, _, base_y = data()
    base_x = torch.ones(6, 1, 8, 8)  # white images: only negative perturbations are feasible
    poisons, _ = brew(model, target_x, 0, base_x, base_y, BrewSpec(steps=5, restarts=1), 0, Meter())
    assert poisons.max() <= 1 and (poisons - base_x).min() >= -16 / 255 - 1e-6


def test_augment_is_a_differentiable_shift_without_flip():
    x = torch.rand(4, 1, 8, 8).requires_grad_(True)
    y = augment(x, torch.Generator().manual_seed(0), shift=2)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # each output is its input moved by at most 2 pixels per axis, never mirrored, zero padded
    for i in range(4):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(y[i, 0], F.pad(x[i, 0], (2, 2, 2, 2))[2 - dy:10 - dy, 2 - dx:10 - dx])]
        assert matches


def test_ensemble_brew_lowers_each_models_loss_and_charges_per_model():
    models = [tiny_model(0), tiny_model(1)]
    target_x, base_x, base_y = data()
    meter = Meter()
    poisons, info = brew(models, target_x, 2, base_x, base_y, BrewSpec(eps=16 / 255, steps=30, restarts=1, lr=0.02), seed=0, meter=meter)
    for m in models:
        params = list(m.parameters())
        tg = flat_grad(F.cross_entropy(m(target_x[None]), torch.tensor([2]), reduction="sum"), params)
        assert final_loss([m], [params], [tg], poisons, base_y) < final_loss([m], [params], [tg], base_x, base_y)
    assert meter.grad_evals == 2 * (1 + 6 + 30 * 6 + 6)


def test_alignment_loss_range():
    g = torch.randn(10)
    assert abs(alignment_loss(g, 3 * g).item()) < 1e-6
    assert abs(alignment_loss(g, -g).item() - 2) < 1e-6
