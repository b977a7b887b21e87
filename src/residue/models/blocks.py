"""Helpers shared by the model files."""

from __future__ import annotations

from torch import nn


def parametrised_blocks(model: nn.Sequential) -> list[nn.Module]:
    """The blocks of a sequential model that hold parameters, input side first."""
    return [m for m in model if any(True for _ in m.parameters())]
