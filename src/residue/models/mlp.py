"""A multi-layer perceptron on the flattened image."""

import math

from torch import nn

from ..registries import MODELS


@MODELS.register("mlp")
def build(in_shape: tuple[int, ...], num_classes: int, hidden: tuple[int, ...] = (128, 64)) -> nn.Sequential:
    blocks: list[nn.Module] = [nn.Flatten()]
    width = math.prod(in_shape)
    for h in hidden:
        blocks.append(nn.Sequential(nn.Linear(width, h), nn.ReLU()))
        width = h
    blocks.append(nn.Linear(width, num_classes))
    return nn.Sequential(*blocks)
