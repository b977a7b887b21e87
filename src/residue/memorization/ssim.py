"""SSIM (Wang et al. 2004, eq. 13) and MS-SSIM (Wang et al. 2003, eq. 7) in torch, one-to-many.

    SSIM(x, y)    = mean over windows of  l(x, y) · cs(x, y)
    l  = (2 μx μy + C1) / (μx² + μy² + C1),   cs = (2 σxy + C2) / (σx² + σy² + C2)
    MS-SSIM(x, y) = l_M^{w_M} · Π_{j=1..M} cs_j^{w_j}

The standard MS-SSIM uses 5 scales and an 11×11 Gaussian window (σ 1.5), which does not fit 32×32
images; here the window is 5×5 (σ 1.0) and the scales are 3 (32, 16, 8 pixels), with the first
three standard weights renormalised (documented in experiments/fb_mem/README.md).  cs values are
clamped at 0 before the power, as in common implementations, so the product stays real.
Images are float tensors in [0, 1], shape (C, H, W); :func:`ssim_to_many` compares one image with
a batch (N, C, H, W) and returns N scores.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

C1, C2 = 0.01**2, 0.03**2
WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _window(size: int, sigma: float, channels: int) -> torch.Tensor:
    g = torch.exp(-((torch.arange(size) - (size - 1) / 2) ** 2) / (2 * sigma**2))
    g = (g / g.sum())[:, None] @ (g / g.sum())[None, :]
    return g.expand(channels, 1, size, size).contiguous()


def _stats(x: torch.Tensor, y: torch.Tensor, win: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Luminance and contrast-structure terms, averaged over windows and channels: (N,), (N,)."""
    c = x.shape[1]
    blur = lambda z: F.conv2d(z, win, groups=c)  # noqa: E731
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    lum = (2 * mx * my + C1) / (mx**2 + my**2 + C1)
    cs = (2 * sxy + C2) / (sxx + syy + C2)
    return (lum * cs).flatten(1).mean(1), cs.flatten(1).mean(1)


def ssim_to_many(x: torch.Tensor, ys: torch.Tensor, window: int = 5, sigma: float = 1.0) -> torch.Tensor:
    win = _window(window, sigma, x.shape[0]).to(ys)
    return _stats(x.expand_as(ys), ys, win)[0]


def ms_ssim_to_many(x: torch.Tensor, ys: torch.Tensor, scales: int = 3, window: int = 5, sigma: float = 1.0) -> torch.Tensor:
    w = torch.tensor(WEIGHTS[:scales])
    w = (w / w.sum()).tolist()
    win = _window(window, sigma, x.shape[0]).to(ys)
    xs = x.expand_as(ys)
    out = torch.ones(len(ys), dtype=ys.dtype, device=ys.device)
    for j in range(scales):
        full, cs = _stats(xs, ys, win)
        if j == scales - 1:
            out = out * full.clamp(min=0) ** w[j]
        else:
            out = out * cs.clamp(min=0) ** w[j]
            xs, ys = F.avg_pool2d(xs, 2), F.avg_pool2d(ys, 2)
    return out


SIMILARITY = {"ms_ssim": ms_ssim_to_many, "ssim": ssim_to_many}
