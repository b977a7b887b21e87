"""GD: fine-tune on the retain set, θ ← θ − η∇L(θ; D_r) (P1, method table, row "GD")."""

from ..registries import UNLEARNING
from ..training import fit
from .base import steps_spec


@UNLEARNING.register("gd")
def gd(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9):
    x, y = retain
    fit(model, x, y, steps_spec(len(y), meter.budget, lr, batch_size, momentum), seed, meter, desc="gd")
