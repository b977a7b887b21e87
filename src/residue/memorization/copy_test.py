"""The nearest-neighbour-ratio copy test (Gu et al. 2023, "On Memorization in Diffusion Models",
§3): a generation x is a copy of the training set when

    ‖x − n₁(x)‖₂ / ‖x − n₂(x)‖₂ < 1/3,

with n₁, n₂ its nearest and second-nearest *distinct* training images in pixel space.  It is
independent of FB-Mem (no segmentation, no SSIM), so it verifies that the engineered prompt groups
memorize before any FB-Mem count is read.  Exact duplicates must be removed from the candidates
first, or a duplicated scene is its own second neighbour.
"""

from __future__ import annotations

import numpy as np
import torch

RATIO = 1 / 3


def nn_ratio(gen: torch.Tensor, train: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per generation: d₁/d₂ and the index of the nearest candidate.  (G, C, H, W), (N, C, H, W), N ≥ 2."""
    d = torch.cdist(gen.flatten(1).double(), train.flatten(1).double())
    two = d.topk(2, dim=1, largest=False)
    ratio = two.values[:, 0] / two.values[:, 1].clamp(min=1e-12)
    return ratio.numpy(), two.indices[:, 0].numpy()


def copies(gen: torch.Tensor, train: torch.Tensor, ratio: float = RATIO) -> np.ndarray:
    return nn_ratio(gen, train)[0] < ratio
