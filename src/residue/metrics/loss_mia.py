"""Loss-threshold membership inference (Yeom et al. 2018), the baseline P1 contrasts with GUS.

A point is called a member when its loss is below τ, with τ the FPR-quantile of the losses of
known non-members (test points), so that the false-positive rate is FPR (1%).  After a
"successful" unlearning the forget set's TPR is ≈ FPR.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..registries import METRICS
from ..training import predict


def losses(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    return F.cross_entropy(predict(model, x), y.cpu(), reduction="none")


@METRICS.register("loss_mia")
def tpr_at_fpr(model: nn.Module, members: tuple[Tensor, Tensor], nonmembers: tuple[Tensor, Tensor], fpr: float = 0.01) -> float:
    """TPR on ``members`` of the loss-threshold attack calibrated to ``fpr`` on ``nonmembers``."""
    tau = torch.quantile(losses(model, *nonmembers), fpr)
    return (losses(model, *members) < tau).float().mean().item()
