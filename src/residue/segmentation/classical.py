"""A weight-free segmenter: colour distance to the border's median colour, Otsu's threshold.

The border pixels are taken as background; each pixel's saliency is its RGB distance to their
median colour, and Otsu (1979) splits the saliency histogram into foreground and background."""

from __future__ import annotations

import numpy as np
import torch
from skimage.filters import threshold_otsu

from ..registries import SEGMENTERS
from .base import Assets


def saliency(img: torch.Tensor) -> torch.Tensor:
    border = torch.cat([img[:, 0], img[:, -1], img[:, :, 0], img[:, :, -1]], dim=1)  # (C, 4W)
    return (img - border.median(1).values[:, None, None]).norm(dim=0)


class Classical:
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = []
        for img in x:
            s = saliency(img).numpy()
            out.append(torch.from_numpy(s > threshold_otsu(s)) if np.ptp(s) > 0 else torch.zeros(s.shape, dtype=torch.bool))
        return torch.stack(out)


@SEGMENTERS.register("classical")
def build(assets: Assets) -> Classical:
    return Classical()
