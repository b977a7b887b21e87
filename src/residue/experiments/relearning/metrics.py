"""P4's metrics: unlearning accuracy and the kernel inception distance in a classifier's feature space.

UA = 1 − (fraction of c_f generations the classifier labels c_f) (PAPERS.md §P4).  The paper's FID
uses Inception features; here the features are the penultimate layer of the classifier trained in
the repository on the same data and resolution.  Quality is the KID (Bińkowski et al. 2018, eq. 5 /
"KID"): the unbiased estimate of the squared MMD with the cubic polynomial kernel

    k(x, y) = (xᵀy / d + 1)³,
    MMD²_u = 1/(m(m−1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n−1)) Σ_{i≠j} k(y_i, y_j) − 2/(mn) Σ_{i,j} k(x_i, y_j),

averaged over random subsets, whose spread is the estimate's own sampling error.  Unlike the Fréchet
distance it is unbiased (≈ 0 for two samples of one distribution, whatever their size) and needs no
covariance estimate (a Fréchet distance on 108 samples in 128 dimensions used a singular one).
"""

from __future__ import annotations

import numpy as np
import torch


def unlearning_accuracy(pred: torch.Tensor, forget_class: int) -> float:
    return 1.0 - float((pred == forget_class).float().mean())


def retained_accuracy(pred: torch.Tensor, prompted: torch.Tensor) -> float:
    """Fraction of retained-class generations labelled as the class they were prompted with."""
    return float((pred == prompted).float().mean())


def polynomial_mmd2(a: np.ndarray, b: np.ndarray) -> float:
    """MMD²_u between two feature sets with the cubic polynomial kernel (the formula above)."""
    d = a.shape[1]
    kaa, kbb, kab = ((x @ y.T / d + 1) ** 3 for x, y in ((a, a), (b, b), (a, b)))
    m, n = len(a), len(b)
    within = (kaa.sum() - np.trace(kaa)) / (m * (m - 1)) + (kbb.sum() - np.trace(kbb)) / (n * (n - 1))
    return float(within - 2 * kab.mean())


def kid(a: np.ndarray, b: np.ndarray, subsets: int, subset_size: int, seed: int) -> tuple[float, float]:
    """KID between feature sets ``a`` (generated) and ``b`` (reference): the mean of MMD²_u over
    ``subsets`` random subsets of ``subset_size`` rows from each (drawn without replacement within a
    subset), and the standard deviation over subsets."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    size = min(subset_size, len(a), len(b))
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples per set (got {len(a)} and {len(b)})")
    rng = np.random.default_rng(seed)
    vals = [polynomial_mmd2(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
            for _ in range(subsets)]
    return float(np.mean(vals)), float(np.std(vals, ddof=1)) if subsets > 1 else 0.0


def features(classifier: torch.nn.Sequential, x: torch.Tensor, batch_size: int = 512) -> np.ndarray:
    """Penultimate-layer activations (all blocks but the last linear one)."""
    body = classifier[:-1].eval()
    device = next(classifier.parameters()).device
    with torch.no_grad():
        return torch.cat([body(xb.to(device)).cpu() for xb in x.split(batch_size)]).numpy()
