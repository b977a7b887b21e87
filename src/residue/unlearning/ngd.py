"""NGD: GD on the retain set with Gaussian noise on every gradient step,
θ ← θ − η(∇L(θ; D_r) + ν), ν ~ N(0, σ²I) (P1, method table, row "NGD").

The noise enters through the loss: adding ⟨ν, θ⟩ (ν fresh per step, no gradient through ν)
adds exactly ν to the gradient, so the shared loop ``fit`` runs it unchanged.  The lr (and with
it the noise step ην) decays linearly to 0 over the steps the budget affords.
"""

import torch
import torch.nn.functional as F

from ..registries import UNLEARNING
from ..seeding import generator
from .base import fit_budget


@UNLEARNING.register("ngd")
def ngd(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9, sigma=0.01):
    gen = generator(seed, "ngd-noise")

    def loss_fn(m, xb, yb):
        noise = sum((torch.randn(p.shape, generator=gen).to(p.device) * sigma * p).sum() for p in m.parameters())
        return F.cross_entropy(m(xb), yb) + noise

    fit_budget(model, retain, seed, meter, lr, batch_size, momentum, desc="ngd", loss_fn=loss_fn)
