"""A small fully convolutional segmenter trained on the composited scenes' masks (the default
backend for generated images): dilated 3×3 convolutions, per-pixel binary cross-entropy.
Optional noise augmentation (Gaussian noise of a per-example σ ~ U(0, noise)) makes it robust to
the residual noise of generated images, which it never sees in training.  Training runs in NHWC and,
with ``precision`` bf16 or auto (``residue.precision``), its forward pass under bf16 autocast; the
loss is float32.  Measured on 300 steps at batch 64, one thread (experiments/fb_mem/README.md,
"Ninth pass"): 52–78 s in fp32 NCHW, 25 s in bf16 NHWC, held-out IoU 0.745–0.765 and 0.765–0.768
(per step ×2.8: ``python benchmarks/precision.py --cases "P3 segmenter"``).
The returned network is in the default memory format, so its state dict does not depend on it."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..compute import Meter
from ..errors import DataError
from ..precision import autocast
from ..registries import SEGMENTERS
from ..seeding import generator
from .base import Assets


def network(width: int = 32) -> nn.Sequential:
    layers, c = [], 3
    for d in (1, 2, 4, 8, 1):
        layers += [nn.Conv2d(c, width, 3, padding=d, dilation=d), nn.ReLU()]
        c = width
    return nn.Sequential(*layers, nn.Conv2d(width, 1, 1))


def train(x: torch.Tensor, masks: torch.Tensor, steps: int, seed: int, meter: Meter,
          batch_size: int = 64, lr: float = 3e-3, width: int = 32, noise: float = 0.0,
          precision: str = "fp32") -> nn.Sequential:
    torch.manual_seed(seed)
    net = network(width).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = generator(seed, "segmenter")
    for _ in range(steps):
        idx = torch.randint(0, len(x), (batch_size,), generator=gen)
        xb = x[idx]
        if noise > 0:
            sigma = noise * torch.rand(len(idx), 1, 1, 1, generator=gen)
            xb = (xb + sigma * torch.randn(xb.shape, generator=gen)).clamp(0, 1)
        with autocast(precision, xb.device):
            logits = net(xb.contiguous(memory_format=torch.channels_last))[:, 0]
        loss = F.binary_cross_entropy_with_logits(logits.float(), masks[idx].float())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        meter.charge(len(idx))
    return net.to(memory_format=torch.contiguous_format).eval()


class Learned:
    def __init__(self, net: nn.Module):
        self.net = net

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, 0] > 0


@SEGMENTERS.register("learned")
def build(assets: Assets) -> Learned:
    if assets.learned is None:
        raise DataError("learned segmenter: no trained network (run fb_mem.train first)")
    return Learned(assets.learned)
