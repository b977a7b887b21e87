"""NegGrad+: minimise β·L(θ; D_r) − (1−β)·L(θ; D_f) (P1, method table, row "NegGrad+";
Kurmanji et al. 2023).  Batches are drawn from D_r ∪ D_f; each batch's retain and forget
examples give the two means, so every example in a batch costs one gradient evaluation.
"""

import torch
import torch.nn.functional as F

from ..registries import UNLEARNING
from ..training import fit
from .base import combined, steps_spec


def _mean(v, mask):
    return (v * mask).sum() / mask.sum().clamp(min=1)


@UNLEARNING.register("neggrad_plus")
def neggrad_plus(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9, beta=0.995):
    def loss_fn(m, xb, yb):
        losses = F.cross_entropy(m(xb), yb[:, 0], reduction="none")
        is_forget = yb[:, 1].to(losses.dtype)
        return beta * _mean(losses, 1 - is_forget) - (1 - beta) * _mean(losses, is_forget)

    x, y = combined(retain, forget)
    fit(model, x, y, steps_spec(len(y), meter.budget, lr, batch_size, momentum), seed, meter, loss_fn=loss_fn, desc="neggrad+")
