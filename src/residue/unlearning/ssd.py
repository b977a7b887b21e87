"""SSD: selective synaptic dampening (Foster et al. 2024; P1, method table, row "SSD").

No training.  Diagonal Fisher importances I_D = E_D[(∂ℓ/∂θ)²] and I_f = E_Df[(∂ℓ/∂θ)²]; every
parameter with I_f,i > α·I_D,i is dampened, θ_i ← min(λ·I_D,i / I_f,i, 1)·θ_i.  Squared
per-example gradients are computed in batches with ``torch.func.vmap(grad(...))``; each example
costs one gradient evaluation.  Under a budget, I_f uses all of D_f and I_D a seeded subsample
of D = D_r ∪ D_f of the size the remaining budget affords (below |D_f| + 1 it does nothing).
"""

import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

from ..registries import UNLEARNING
from ..seeding import generator


def fisher_diag(model, x, y, meter, chunk=256) -> dict[str, torch.Tensor]:
    """E[(∂ℓ/∂θ)²] over (x, y), one per-example gradient per row, batched with vmap."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    device = next(model.parameters()).device

    def loss(p, xi, yi):
        return F.cross_entropy(functional_call(model, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))

    per_example = vmap(grad(loss), in_dims=(None, 0, 0))
    total = {k: torch.zeros_like(v) for k, v in params.items()}
    model.eval()
    for xb, yb in zip(x.split(chunk), y.split(chunk)):
        g = per_example(params, xb.to(device), yb.to(device))
        meter.charge(len(yb))
        for k in total:
            total[k] += (g[k] ** 2).sum(0)
    return {k: v / max(len(y), 1) for k, v in total.items()}


@torch.no_grad()
def dampen(model, imp_d, imp_f, lam=1.0, alpha=10.0) -> None:
    """θ_i ← min(λ·I_D,i / I_f,i, 1)·θ_i wherever I_f,i > α·I_D,i (in place)."""
    for name, p in model.named_parameters():
        selected = imp_f[name] > alpha * imp_d[name]
        factor = torch.clamp(lam * imp_d[name] / imp_f[name].clamp(min=1e-30), max=1.0)
        p.mul_(torch.where(selected, factor, torch.ones_like(p)))


@UNLEARNING.register("ssd")
def ssd(model, retain, forget, seed, meter, lam=1.0, alpha=10.0):
    n_full = meter.budget - len(forget[1])
    if n_full < 1:
        return
    x = torch.cat([retain[0], forget[0]])
    y = torch.cat([retain[1], forget[1]])
    idx = torch.randperm(len(y), generator=generator(seed, "ssd-subsample"))[:n_full]
    imp_d = fisher_diag(model, x[idx], y[idx], meter)
    imp_f = fisher_diag(model, *forget, meter)
    dampen(model, imp_d, imp_f, lam, alpha)
