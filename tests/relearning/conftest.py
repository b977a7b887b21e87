"""Tiny denoisers whose losses have closed forms, and a task built around them."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from residue.diffusion import DiffusionSpec
from residue.diffusion.unlearning.base import UnlearnTask


class ConstDenoiser(nn.Module):
    """ε_θ(x_t, t, c) = b[c] at every pixel: L_simple and the unlearning losses have closed forms.
    ``b`` has one entry per class plus the null class (the last)."""

    def __init__(self, values):
        super().__init__()
        self.b = nn.Parameter(torch.tensor(values, dtype=torch.float32))
        self.num_classes = len(values) - 1

    def null_cond(self, cond):
        return torch.full_like(cond, self.num_classes)

    def forward(self, x_t, t, cond):
        return self.b[cond].view(-1, *([1] * (x_t.dim() - 1))).expand_as(x_t)


def make_task(model_values, original_values=None, n=12, cond_drop=0.0):
    gen = torch.Generator().manual_seed(0)
    k = len(model_values) - 1
    y = torch.arange(n) % k
    x = torch.rand((n, 1, 4, 4), generator=gen) * 2 - 1
    keep = y != 0
    original = ConstDenoiser(original_values or model_values)
    return UnlearnTask(
        model=ConstDenoiser(model_values), original=original, retain=(x[keep], y[keep]), forget=(x[~keep], y[~keep]),
        forget_class=0, num_classes=k, spec=DiffusionSpec(cond_drop=cond_drop),
        replay=(x[keep], y[keep]),
    )


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(123)
