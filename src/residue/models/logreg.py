"""Multinomial logistic regression: one linear layer on the flattened image (convex in θ)."""

import math

from torch import nn

from ..registries import MODELS


@MODELS.register("logreg")
def build(in_shape: tuple[int, ...], num_classes: int) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(in_shape), num_classes))
