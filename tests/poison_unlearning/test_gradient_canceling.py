"""Gradient Canceling drives ‖∇L(θ_p; D_c) + ∇L(θ_p; D_p)‖ down and keeps poisons in the pixel box."""

import torch

from residue.attacks.gradient_canceling import GCSpec, corrupt, flat_params, gradient_canceling
from residue.compute import Meter
from residue.models import build
from residue.training import TrainSpec, fit


def test_gc_lowers_the_gradient_norm_and_corruption_stays_in_the_ball():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 1, 4, 4, generator=g)
    y = torch.randint(0, 3, (200,), generator=g)
    torch.manual_seed(0)
    model = build("logreg", (1, 4, 4), 3)
    fit(model, x, y, TrainSpec(epochs=50, batch_size=50, lr=0.5), 0, Meter())
    spec = GCSpec(fraction=0.1, steps=60, lr=1.0, radius=0.05, corrupt_steps=20, corrupt_lr=0.2)
    target = corrupt(model, x, y, spec, Meter())
    shift = (flat_params(target) - flat_params(model)).norm()
    assert 0 < shift <= 0.05 * flat_params(model).norm() + 1e-5
    meter = Meter()
    xp, yp, curve = gradient_canceling(target, x, y, spec, seed=0, meter=meter)
    assert curve[-1] < 0.8 * curve[0]
    assert xp.min() >= 0 and xp.max() <= 1 and len(yp) == 20
    assert meter.grad_evals == 200 + 60 * 20
