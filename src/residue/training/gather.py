"""Minibatch rows: ``index_select``, not ``t[idx]``.

Both give the same bytes, but advanced indexing of an image tensor is the slow path on CPU: on one
core of the development machine, 2,000 Fashion-MNIST-sized images in a random order take 1.27 ms
with ``x[idx]`` and 0.59 ms with ``x.index_select(0, idx)``, a batch of 64 of them 0.053 and 0.012
ms; a full-batch fit of P1's convex victim ran 7% faster as a whole process
(``benchmarks/gather.py``, ``benchmarks/README.md``).
"""

from __future__ import annotations

import torch


def rows(idx: torch.Tensor, *tensors: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Rows ``idx`` of each tensor (along dim 0), on ``device``."""
    return tuple(t.index_select(0, idx).to(device) for t in tensors)
