"""P4's metrics: unlearning accuracy and a Fréchet distance in a classifier's feature space.

UA = 1 − (fraction of c_f generations the classifier labels c_f) (PAPERS.md §P4).  The paper's
FID uses Inception features; here the features are the penultimate layer of the classifier trained
in the repository on the same data and resolution — a proxy for FID, comparable across methods
only at equal sample sizes.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import linalg


def unlearning_accuracy(pred: torch.Tensor, forget_class: int) -> float:
    return 1.0 - float((pred == forget_class).float().mean())


def retained_accuracy(pred: torch.Tensor, prompted: torch.Tensor) -> float:
    """Fraction of retained-class generations labelled as the class they were prompted with."""
    return float((pred == prompted).float().mean())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2}) between Gaussians fitted to two feature sets."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(cov_a @ cov_b)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    fd = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))
    return max(fd, 0.0)


def features(classifier: torch.nn.Sequential, x: torch.Tensor, batch_size: int = 512) -> np.ndarray:
    """Penultimate-layer activations (all blocks but the last linear one)."""
    body = classifier[:-1].eval()
    device = next(classifier.parameters()).device
    with torch.no_grad():
        return torch.cat([body(xb.to(device)).cpu() for xb in x.split(batch_size)]).numpy()
