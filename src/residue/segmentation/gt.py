"""Ground-truth masks of known (training) images, looked up by exact content."""

from __future__ import annotations

import hashlib

import torch

from ..errors import DataError
from ..registries import SEGMENTERS
from .base import Assets


def _key(img: torch.Tensor) -> str:
    return hashlib.sha256((img * 255).round().to(torch.uint8).numpy().tobytes()).hexdigest()


class GroundTruth:
    def __init__(self, images: torch.Tensor, masks: torch.Tensor):
        self.table = {_key(x): m.bool() for x, m in zip(images, masks)}

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return torch.stack([self.table[_key(img)] for img in x])
        except KeyError:
            raise DataError("gt segmenter: an image has no ground-truth mask (it is not a dataset image)") from None


@SEGMENTERS.register("gt")
def build(assets: Assets) -> GroundTruth:
    if assets.images is None or assets.masks is None:
        raise DataError("gt segmenter needs the dataset's images and masks")
    return GroundTruth(assets.images, assets.masks)
