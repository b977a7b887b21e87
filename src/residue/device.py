"""Device choice: CUDA when available, else CPU; nothing in the package calls ``.cuda()``."""

from __future__ import annotations

import os


def pick(requested: str = "auto"):
    import torch

    if requested == "auto":
        requested = os.environ.get("RESIDUE_DEVICE", "auto")
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def set_threads(n: int) -> None:
    """Match torch's intra-op threads to the cores Snakemake gave the job."""
    import torch

    torch.set_num_threads(max(1, n))
