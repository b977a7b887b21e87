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


def _blur(z: torch.Tensor, win: torch.Tensor) -> torch.Tensor:
    return F.conv2d(z, win, groups=z.shape[1])


def pyramid(ys: torch.Tensor, scales: int, window: int = 5, sigma: float = 1.0) -> list[tuple]:
    """Per scale: the images, their local means and local second moments (reusable across
    comparisons, so matching G generations against N candidates blurs the candidates once)."""
    win = _window(window, sigma, ys.shape[1]).to(ys)
    out = []
    for j in range(scales):
        out.append((ys, _blur(ys, win), _blur(ys * ys, win)))
        ys = F.avg_pool2d(ys, 2)
    return out


def _terms(px: tuple, py: tuple, win: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Luminance·contrast-structure and contrast-structure terms, averaged over windows and
    channels, of one image (pyramid level ``px``, batch of 1) against a batch ``py``: (N,), (N,)."""
    (x, mx, xx), (y, my, yy) = px, py
    sxx, syy, sxy = xx - mx**2, yy - my**2, _blur(x * y, win) - mx * my
    lum = (2 * mx * my + C1) / (mx**2 + my**2 + C1)
    cs = (2 * sxy + C2) / (sxx + syy + C2)
    return (lum * cs).flatten(1).mean(1), cs.flatten(1).mean(1)


def ms_ssim_pyramids(px: list[tuple], py: list[tuple], window: int = 5, sigma: float = 1.0) -> torch.Tensor:
    scales = len(py)
    w = torch.tensor(WEIGHTS[:scales])
    w = (w / w.sum()).tolist()
    win = _window(window, sigma, py[0][0].shape[1]).to(py[0][0])
    out = torch.ones(len(py[0][0]), dtype=py[0][0].dtype)
    for j in range(scales):
        full, cs = _terms(px[j], py[j], win)
        out = out * (full if j == scales - 1 else cs).clamp(min=0) ** w[j]
    return out


def ms_ssim_to_many(x: torch.Tensor, ys: torch.Tensor, scales: int = 3, window: int = 5, sigma: float = 1.0) -> torch.Tensor:
    return ms_ssim_pyramids(pyramid(x[None], scales, window, sigma), pyramid(ys, scales, window, sigma), window, sigma)


def ssim_to_many(x: torch.Tensor, ys: torch.Tensor, window: int = 5, sigma: float = 1.0) -> torch.Tensor:
    win = _window(window, sigma, x.shape[0]).to(ys)
    return _terms(pyramid(x[None], 1, window, sigma)[0], pyramid(ys, 1, window, sigma)[0], win)[0]


SCALES = {"ms_ssim": 3, "ssim": 1}


def to_many(px: list[tuple], py: list[tuple], similarity: str) -> torch.Tensor:
    """Similarity of one image with a batch from their pyramids (``ssim`` uses level 0 only)."""
    if similarity == "ssim":
        win = _window(5, 1.0, py[0][0].shape[1]).to(py[0][0])
        return _terms(px[0], py[0], win)[0]
    return ms_ssim_pyramids(px, py)
