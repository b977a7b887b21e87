"""Difficulty-calibrated membership inference: the MIA P1 contrasts with GUS, given power.

A plain loss threshold (Yeom et al. 2018) finds nothing on Gaussian poisons even before
unlearning (TPR 0.008 at FPR 1% on our poisoned models): a noisy image of a common class has a
low loss whether or not it was trained on.  Calibrating each example by a reference model that
never saw it (Watson et al. 2022, "difficulty calibration"), on LiRA's logit scale (Carlini et al.
2022, eq. 4), removes that per-example difficulty:

    s(x, y) = φ_θ(x, y) − φ_ref(x, y),   φ(x, y) = log p_y(x) − log(1 − p_y(x)),

and x is called a member when s exceeds the (1 − FPR)-quantile of s over known non-members drawn
from the same distribution.  On our Gaussian setting (pilot, seeds 100–102) it finds 26–32% of the
poisons at FPR 1% before unlearning, so "after unlearning the MIA finds TPR ≈ FPR" can fail.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..training import predict


def logit_confidence(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """φ = log p_y − log(1 − p_y), in float64 (LiRA's scaling; stable for confident models)."""
    logp = F.log_softmax(predict(model, x).double(), 1)
    own = logp[torch.arange(len(y)), y.cpu()]
    rest = torch.logsumexp(logp.scatter(1, y.cpu()[:, None], float("-inf")), 1)
    return own - rest


def calibrated_tpr(model: nn.Module, reference: nn.Module, members: tuple[Tensor, Tensor],
                   nonmembers: tuple[Tensor, Tensor], fpr: float = 0.01) -> float:
    """TPR on ``members`` of the calibrated test whose threshold gives ``fpr`` on ``nonmembers``."""
    score = lambda x, y: logit_confidence(model, x, y) - logit_confidence(reference, x, y)
    tau = torch.quantile(score(*nonmembers), 1 - fpr)
    return (score(*members) > tau).double().mean().item()
