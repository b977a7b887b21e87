"""GA: gradient ascent on the forget set, θ ← θ + η∇L(θ; D_f) (P1, method table, row "GA")."""

import torch.nn.functional as F

from ..registries import UNLEARNING
from ..training import fit
from .base import steps_spec


def ascent(model, xb, yb):
    return -F.cross_entropy(model(xb), yb)


@UNLEARNING.register("ga")
def ga(model, retain, forget, seed, meter, lr=0.001, batch_size=32, momentum=0.0):
    x, y = forget
    fit(model, x, y, steps_spec(len(y), meter.budget, lr, batch_size, momentum), seed, meter, loss_fn=ascent, desc="ga")
