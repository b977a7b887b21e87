"""GA: gradient ascent on the forget set, θ ← θ + η∇L(θ; D_f) (P1, method table, row "GA").

Ascent has no minimum, so it needs a stopping rule: it stops once the mean cross-entropy on the
whole forget set reaches ``stop_loss`` (default ln C, the loss of a uniform guess over the C
classes of the model's output: the forget set is then no better predicted than by chance).  The
check is a forward pass over all of D_f in eval mode (0 gradient evaluations) before every step;
the budget still binds, and the lr decays linearly to 0 over the steps the budget affords.
"""

import math

import torch.nn.functional as F

from ..registries import UNLEARNING
from ..seeding import generator
from ..training import predict
from ..training.gather import rows
from .base import Cycle, Steps


def forget_loss(model, x, y) -> float:
    """Mean cross-entropy of ``model`` on the whole forget set (eval mode, no gradient)."""
    return F.cross_entropy(predict(model, x), y.cpu()).item()


@UNLEARNING.register("ga")
def ga(model, retain, forget, seed, meter, lr=0.001, batch_size=32, momentum=0.0, stop_loss=None):
    x, y = forget
    device = next(model.parameters()).device
    idx = Cycle(len(y), batch_size, generator(seed, "ga"))
    horizon = meter.budget // idx.size
    steps = Steps(model, lr, momentum, horizon, meter)
    level = stop_loss if stop_loss is not None else math.log(predict(model, x[:1]).shape[1])
    for _ in range(horizon):
        if forget_loss(model, x, y) >= level:
            break
        model.train()
        b = next(idx)
        xb, yb = rows(b, x, y, device=device)
        steps.take(-F.cross_entropy(model(xb), yb), idx.size)
