"""Gaussian Unlearning Score (Pawelczyk et al. 2025; PAPERS.md §P1, GUS).

For each Gaussian poison x_i + ξ_i, ξ_i ~ N(0, σ²I), take the input gradient at the **clean**
point, g_i = ∇x ℓ(θ; x_i, y_i), and compute

    I_i = ⟨ξ_i, g_i⟩ / (σ ‖g_i‖₂).

If θ does not depend on ξ_i, I_i ~ N(0, 1) exactly (a fixed unit vector dotted with an isotropic
Gaussian).  Sign convention (fixed here, tested in tests/poison_unlearning/test_gus.py): g is
+∇x ℓ, so training on x_i + ξ_i lowers ℓ along ξ_i and pushes I_i **below** 0; the per-sample
test flags a poison when I_i < Φ⁻¹(0.01) and the aggregate z = √p·mean(I) is compared with
N(0, 1).  Input gradients of independent examples are the input gradient of the summed loss
(no batch coupling: our models have no BatchNorm), so a batch costs one backward pass and is
charged as |batch| gradient evaluations.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from scipy import stats as sps
from torch import Tensor, nn

from ..compute import Meter

FPR = 0.01
THRESHOLD = float(sps.norm.ppf(FPR))  # −2.326: the analytic per-sample threshold at FPR 1%


def input_gradients(model: nn.Module, x: Tensor, y: Tensor, meter: Meter, chunk: int = 512) -> Tensor:
    """∇x ℓ(θ; x_i, y_i) for every row, in eval mode."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    for xb, yb in zip(x.split(chunk), y.split(chunk)):
        xb = xb.to(device).requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(xb), yb.to(device), reduction="sum"), [xb])
        meter.charge(len(yb))
        out.append(g.detach().cpu())
    model.train(was_training)
    return torch.cat(out)


def gus_scores(model: nn.Module, x_clean: Tensor, y: Tensor, noise: Tensor, sigma: float, meter: Meter) -> Tensor:
    """I_i for every poison (negative when the model was trained on x_i + ξ_i); NaN where the
    input gradient is exactly zero (I_i is undefined there).

    I_i does not change when g_i is scaled, so each g_i is first divided by its largest |entry|:
    a saturated model's gradients (|g| ~ 1e-20) would otherwise square to 0 in fp32 and the
    quotient explode (an EUk model once scored −3.7e5)."""
    g = input_gradients(model, x_clean, y, meter).flatten(1).double()
    scale = g.abs().amax(dim=1, keepdim=True)
    g = g / scale.where(scale > 0, torch.ones_like(scale))
    scores = (noise.flatten(1).double() * g).sum(1) / (sigma * g.norm(dim=1))
    return scores.float()


def summary(scores: Tensor) -> dict:
    """Mean Î, the z-statistic √p·Î (N(0, 1) under H0) and the TPR at FPR 1%; all NaN (missing,
    never a verdict) when any I_i is undefined."""
    p = len(scores)
    mean = scores.mean().item()
    tpr = (scores < THRESHOLD).float().mean().item() if math.isfinite(mean) else math.nan
    return {"mean": mean, "z": math.sqrt(p) * mean, "tpr_at_1pct": tpr}
