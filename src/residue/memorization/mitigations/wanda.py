"""Wanda-style pruning against memorization (PAPERS.md §P3): score every weight of the value
projections by |W_ij| · ‖X_j‖₂, where X are the projection's inputs (text-encoder outputs) over
the tokens of the prompts detected as memorized, and zero the top p% of each layer's weights.
The pruned model then generates for every prompt (it is a model edit, not a per-prompt switch)."""

from __future__ import annotations

import copy

import torch

from ...diffusion.text import PAD
from ...registries import MITIGATIONS
from .lab import Lab
from .nemo import memorized


@torch.no_grad()
def prune(model, tokens: torch.Tensor, fraction: float) -> tuple[object, int]:
    """A copy of ``model`` with the top ``fraction`` of every ``to_v`` weight matrix zeroed by the
    Wanda score computed on ``tokens``; returns it with the number of weights zeroed."""
    pruned = copy.deepcopy(model)
    ctx = model.encode(tokens)[tokens != PAD]  # (tokens, d): the to_v inputs
    norm = ctx.norm(dim=0)                      # ‖X_j‖₂ per input feature
    zeroed = 0
    for lin in pruned.value_layers().values():
        score = lin.weight.abs() * norm[None, :]
        k = int(round(fraction * score.numel()))
        if k:
            idx = score.flatten().topk(k).indices
            lin.weight.view(-1)[idx] = 0
            zeroed += k
    return pruned, zeroed


@MITIGATIONS.register("wanda")
def run(lab: Lab, tokens: torch.Tensor, fraction: float = 0.01) -> tuple[torch.Tensor, dict]:
    detected = [memorized(lab, t) for t in tokens]
    mem = tokens[torch.tensor(detected)] if any(detected) else tokens[:0]
    if len(mem) == 0:
        model, zeroed = lab.model, 0
    else:
        model, zeroed = prune(lab.model, mem, fraction)
    images = torch.stack([lab.sample(model, t, p) for p, t in enumerate(tokens)])
    return images, {"detected": detected, "weights_zeroed": zeroed}
