"""Issue #14, item 6: a tiny brew raises a *retrained* target's adversarial margin over its paired
control — the same initialisation and batch order, trained on the unperturbed bases instead."""

import torch
from torch import nn

from residue.attacks.gradient_matching import BrewSpec, brew
from residue.attacks.targets import margins
from residue.compute import Meter
from residue.training import TrainSpec, fit, predict

SPEC = TrainSpec(epochs=15, batch_size=16, lr=0.05, momentum=0.9)


def blobs(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Three classes of 6×6 images: a bright square in a class-specific corner, plus noise."""
    y = torch.arange(n) % 3
    x = 0.3 * torch.rand(n, 1, 6, 6, generator=gen)
    for c, (r, col) in enumerate([(0, 0), (0, 3), (3, 0)]):
        x[y == c, :, r:r + 3, col:col + 3] += 0.5
    return x.clamp(0, 1), y


def model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.ReLU(), nn.Linear(16, 3))


def train(x, y, seed):
    m = model(seed)
    fit(m, x, y, SPEC, seed, Meter())
    return m


def paired_margins(eps: float, seed: int) -> tuple[float, float]:
    """(poisoned, control) adversarial margin of the target after retraining from one fresh seed."""
    gen = torch.Generator().manual_seed(seed)
    x, y = blobs(90, gen)
    bx, by = blobs(60, gen)
    target_x, adv = x[0], 1 if int(y[0]) != 1 else 2
    bx, by = bx[by == adv][:12], by[by == adv][:12]
    clean = [train(x, y, 100 + seed), train(x, y, 200 + seed)]
    poisons, _ = brew(clean, target_x, adv, bx, by, BrewSpec(eps=eps, steps=60, restarts=1, lr=eps / 8), seed, Meter())
    retrain = 300 + seed  # a seed neither brewing model saw
    poisoned = train(torch.cat([x, poisons]), torch.cat([y, by]), retrain)
    control = train(torch.cat([x, bx]), torch.cat([y, by]), retrain)
    adv_t = torch.tensor([adv])
    return (margins(predict(poisoned, target_x[None]), adv_t).item(), margins(predict(control, target_x[None]), adv_t).item())


def test_brew_raises_the_retrained_targets_adversarial_margin_over_its_twin():
    diffs = [p - c for p, c in (paired_margins(0.25, s) for s in range(4))]
    assert sum(d > 0 for d in diffs) >= 3 and sum(diffs) / len(diffs) > 0.5


def test_twin_is_the_same_model_without_perturbation():
    """With ε = 0 the poisons are the bases: the twin reproduces the poisoned model exactly."""
    p, c = paired_margins(0.0, 0)
    assert p == c
