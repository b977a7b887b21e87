"""GD: fine-tune on the retain set, θ ← θ − η∇L(θ; D_r) (P1, method table, row "GD"), with the
lr decaying linearly to 0 over the steps the budget affords."""

from ..registries import UNLEARNING
from .base import fit_budget


@UNLEARNING.register("gd")
def gd(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9):
    fit_budget(model, retain, seed, meter, lr, batch_size, momentum, desc="gd")
