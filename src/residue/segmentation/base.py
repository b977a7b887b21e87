"""The segmenter interface: ``segmenter(x) -> masks`` for (N, 3, H, W) images in [0, 1], returning
boolean (N, H, W) foreground masks.  Backends are registered in ``SEGMENTERS`` as factories
``build(assets, **options)``; :class:`Assets` carries what some of them need from the job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from ..registries import SEGMENTERS


class Segmenter(Protocol):
    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...


@dataclass(frozen=True)
class Assets:
    images: torch.Tensor | None = None        # known images with ground-truth masks (gt backend)
    masks: torch.Tensor | None = None
    learned: torch.nn.Module | None = None    # the trained network of the learned backend


def build(name: str, assets: Assets = Assets(), **options) -> Segmenter:
    return SEGMENTERS.get(name, "fb_mem.segmenter")(assets, **options)


def iou(pred: torch.Tensor, true: torch.Tensor) -> np.ndarray:
    """Per-image intersection over union (1 when both masks are empty)."""
    p, t = pred.flatten(1).bool(), true.flatten(1).bool()
    inter, union = (p & t).sum(1).float(), (p | t).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union)).numpy()
