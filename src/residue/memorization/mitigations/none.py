"""No mitigation: the reference generations every mitigation is scored against."""

from __future__ import annotations

import torch

from ...registries import MITIGATIONS
from .lab import Lab


@MITIGATIONS.register("none")
def run(lab: Lab, tokens: torch.Tensor) -> tuple[torch.Tensor, dict]:
    return torch.stack([lab.sample(lab.model, t, p) for p, t in enumerate(tokens)]), {}
