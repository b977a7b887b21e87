"""Whole-image memorization baselines, to show what they miss beside FB-Mem.

Each returns, per generated image, the similarity to its nearest training image; a generation
is flagged when it passes the baseline's threshold (config ``fb_mem.whole``):

* ``l2``     — Carlini et al. (2023): pixel ℓ2 distance, here as RMSE in [0, 1] units (flag ≤ δ);
* ``ssim``   — whole-image SSIM (flag ≥ τ);
* ``cosine`` — cosine similarity in the penultimate-layer features of the repository's scene
  classifier (flag ≥ threshold), the feature-space copy detectors' recipe at our scale.
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


def flags(gen: torch.Tensor, train: torch.Tensor, gen_feat: torch.Tensor, train_feat: torch.Tensor,
          l2: float, ssim: float, cosine: float) -> dict[str, np.ndarray]:
    """Boolean flags per baseline and generation."""
    return {
        "l2": nearest_l2(gen, train) <= l2,
        "ssim": nearest_ssim(gen, train) >= ssim,
        "cosine": nearest_cosine(gen_feat, train_feat) >= cosine,
    }
