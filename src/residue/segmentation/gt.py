"""Ground-truth masks of known (training) images, looked up by exact content.

With ``nearest=True`` an image that is not in the table (a generation) takes the mask of its
ℓ2-nearest known image: the "gt-vs-gt" ceiling of FB-Mem, where a copy is split exactly as the
training image it copies (experiments/fb_mem/README.md, "Symmetric segmentation")."""

from __future__ import annotations

import hashlib

import torch

from ..errors import DataError
from ..registries import SEGMENTERS
from .base import Assets


def _key(img: torch.Tensor) -> str:
    return hashlib.sha256((img * 255).round().to(torch.uint8).numpy().tobytes()).hexdigest()


class GroundTruth:
    def __init__(self, images: torch.Tensor, masks: torch.Tensor, nearest: bool = False):
        self.table = {_key(x): m.bool() for x, m in zip(images, masks)}
        self.images, self.masks, self.nearest = images, masks.bool(), nearest

    def _lookup(self, img: torch.Tensor) -> torch.Tensor:
        if (m := self.table.get(_key(img))) is not None:
            return m
        if not self.nearest:
            raise DataError("gt segmenter: an image has no ground-truth mask (it is not a dataset image; "
                            "nearest: true borrows the nearest dataset image's mask)")
        return self.masks[torch.cdist(img.flatten()[None], self.images.flatten(1)).argmin()]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([self._lookup(img) for img in x])


@SEGMENTERS.register("gt")
def build(assets: Assets, nearest: bool = False) -> GroundTruth:
    if assets.images is None or assets.masks is None:
        raise DataError("gt segmenter needs the dataset's images and masks")
    return GroundTruth(assets.images, assets.masks, nearest)
