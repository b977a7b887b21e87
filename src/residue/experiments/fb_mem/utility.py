"""Utility proxies for mitigated generations (stated as proxies in the README):

* Fréchet distance (Heusel et al. 2017, the FID formula) between the generations' and the generic
  training scenes' features in the repository's scene classifier (not Inception);
* prompt alignment: how often the classifier predicts the item the caption asks for.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import linalg



def frechet(a: torch.Tensor, b: torch.Tensor) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^{1/2})."""
    a, b = a.double().numpy(), b.double().numpy()
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(sa @ sb)
    return round(float(((mu_a - mu_b) ** 2).sum() + np.trace(sa + sb - 2 * np.real(root))), 4)


@torch.no_grad()
def alignment(classifier: torch.nn.Module, x: torch.Tensor, item: np.ndarray) -> float | None:
    keep = item >= 0
    if not keep.any():
        return None
    pred = classifier(x[torch.from_numpy(keep)]).argmax(1).numpy()
    return round(float((pred == item[keep]).mean()), 6)
