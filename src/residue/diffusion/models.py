"""Conditional denoisers: ``eps = model(x_t, t, cond)`` with a *null* condition for guidance.

Every denoiser in the package follows :class:`ConditionalDenoiser`: ``cond`` is a tensor whose
first dimension is the batch (class ids ``(B,)`` here, token ids ``(B, L)`` for P3's text model),
and ``null_cond(cond)`` returns the unconditional condition of the same shape.  Classifier-free
guidance (Ho & Salimans 2022) needs nothing else.
"""

from __future__ import annotations

from typing import Protocol

import torch
from diffusers import UNet2DModel
from torch import nn


class ConditionalDenoiser(Protocol):
    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor: ...

    def null_cond(self, cond: torch.Tensor) -> torch.Tensor: ...


class ClassConditionalUNet(nn.Module):
    """diffusers ``UNet2DModel`` with a class embedding of ``num_classes + 1`` entries; the last is
    the null class used for condition dropout and unconditional predictions (P4's model)."""

    def __init__(
        self,
        num_classes: int,
        sample_size: int = 32,
        channels: int = 1,
        block_out_channels: tuple[int, ...] = (32, 64, 64),
        layers_per_block: int = 1,
        attention: bool = False,
    ):
        super().__init__()
        self.num_classes = num_classes
        down = ["AttnDownBlock2D" if attention and i > 0 else "DownBlock2D" for i in range(len(block_out_channels))]
        up = ["AttnUpBlock2D" if attention and i < len(block_out_channels) - 1 else "UpBlock2D" for i in range(len(block_out_channels))]
        self.unet = UNet2DModel(
            sample_size=sample_size,
            in_channels=channels,
            out_channels=channels,
            block_out_channels=tuple(block_out_channels),
            layers_per_block=layers_per_block,
            down_block_types=tuple(down),
            up_block_types=tuple(up),
            num_class_embeds=num_classes + 1,
            norm_num_groups=min(32, block_out_channels[0]),
        )

    @property
    def null_class(self) -> int:
        return self.num_classes

    def null_cond(self, cond: torch.Tensor) -> torch.Tensor:
        return torch.full_like(cond, self.null_class)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.unet(x_t, t, class_labels=cond).sample
