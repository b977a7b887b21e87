"""Seeds: one replicate seed per job, split into independent streams.

DESIGN.md asks for separate seeds for the data/poison and for the model, so that changing how a
model is initialised never changes which points were poisoned.  ``derive(seed, "model")`` and
``derive(seed, "poison")`` are independent 31-bit seeds obtained by hashing.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np


def derive(seed: int, stream: str) -> int:
    digest = hashlib.sha256(f"{seed}:{stream}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) and ask torch for deterministic kernels."""
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def generator(seed: int, stream: str):
    """A torch CPU generator for one stream (shuffling, poisoning, noise)."""
    import torch

    g = torch.Generator()
    g.manual_seed(derive(seed, stream))
    return g
