"""Whole-image memorization baselines, to show what they miss beside FB-Mem.

Each gives, per generated image, its similarity to its nearest training image (higher = more
alike):

* ``l2``     — Carlini et al. (2023): pixel ℓ2 distance, as minus the RMSE in [0, 1] units;
* ``ssim``   — whole-image SSIM;
* ``cosine`` — cosine similarity in the penultimate-layer features of the repository's scene
  classifier, the feature-space copy detectors' recipe at our scale.

A baseline flags a generation above a threshold; :func:`matched_threshold` sets it at a stated
false-positive rate on generations of generic (non-memorized) prompts, so every baseline — and
FB-Mem beside them — is compared at the same FPR rather than at thresholds of unknown strictness.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from .ssim import pyramid, to_many


def nearest_l2(gen: torch.Tensor, train: torch.Tensor) -> np.ndarray:
    d = torch.cdist(gen.flatten(1), train.flatten(1)) / gen[0].numel() ** 0.5
    return d.min(1).values.numpy()


def nearest_ssim(gen: torch.Tensor, train: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        ref = pyramid(train, 1)
        return np.array([float(to_many(pyramid(g[None], 1), ref, "ssim").max()) for g in gen])


def nearest_cosine(gen_feat: torch.Tensor, train_feat: torch.Tensor) -> np.ndarray:
    return (F.normalize(gen_feat, dim=1) @ F.normalize(train_feat, dim=1).T).max(1).values.numpy()


def similarities(gen: torch.Tensor, train: torch.Tensor, gen_feat: torch.Tensor, train_feat: torch.Tensor) -> dict[str, np.ndarray]:
    """Nearest-training-image similarity per baseline and generation (higher = more alike)."""
    return {"l2": -nearest_l2(gen, train), "ssim": nearest_ssim(gen, train), "cosine": nearest_cosine(gen_feat, train_feat)}


def matched_threshold(generic_scores: np.ndarray, fpr: float) -> float:
    """The smallest threshold t with share(generic_scores ≥ t) ≤ fpr: the ⌈(1 − fpr)·n⌉-th
    order statistic's successor (flag = score > the ⌊fpr·n⌋+1-th largest score)."""
    s = np.sort(np.asarray(generic_scores, float))[::-1]
    allowed = int(np.floor(fpr * len(s)))
    return float(np.nextafter(s[allowed], np.inf)) if allowed < len(s) else -np.inf
