"""NegGrad+: minimise β·L(θ; D_r) − (1−β)·L(θ; D_f) (P1, method table, row "NegGrad+";
Kurmanji et al. 2023).

Every step pairs a retain batch (``batch_size``) with a forget batch (``forget_batch_size``),
each drawn from its own seeded cycle of permutations, so every step sees D_f no matter how small
it is next to D_r; both batches are charged to the meter.  The lr decays linearly to 0 over the
``budget // (retain batch + forget batch)`` steps the budget affords.
"""

import torch.nn.functional as F

from ..registries import UNLEARNING
from ..seeding import generator
from ..training.gather import rows
from .base import Cycle, Steps


def neggrad_plus_loss(model, retain_batch, forget_batch, beta):
    """β·CE(retain batch) − (1−β)·CE(forget batch), each a batch mean."""
    return beta * F.cross_entropy(model(retain_batch[0]), retain_batch[1]) - \
        (1 - beta) * F.cross_entropy(model(forget_batch[0]), forget_batch[1])


@UNLEARNING.register("neggrad_plus")
def neggrad_plus(model, retain, forget, seed, meter, lr=0.01, batch_size=128, momentum=0.9, beta=0.995,
                 forget_batch_size=16):
    device = next(model.parameters()).device
    r_idx = Cycle(len(retain[1]), batch_size, generator(seed, "neggrad+-retain"))
    f_idx = Cycle(len(forget[1]), forget_batch_size, generator(seed, "neggrad+-forget"))
    cost = r_idx.size + f_idx.size
    steps = Steps(model, lr, momentum, meter.budget // cost, meter)
    model.train()
    for _ in range(meter.budget // cost):
        r, f = next(r_idx), next(f_idx)
        rb, fb = rows(r, *retain, device=device), rows(f, *forget, device=device)
        steps.take(neggrad_plus_loss(model, rb, fb, beta), cost)
