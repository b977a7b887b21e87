"""Targets of a targeted poisoning attack: which test points, and which adversarial label each.

Shared by P1's Witches' Brew scenario and P2's camouflaged poisoning (PAPERS.md §P1 "Targeted",
§P2 "Construction"): a target is a test point the *clean* model classifies correctly — the attack
must change a correct prediction — optionally with margin at most ``max_margin`` (the official
convex notebook takes decision values in (0, 0.1]).  Its adversarial label comes from a registered
rule in :data:`ADVERSARIES`:

* ``random`` — a uniformly random other class (the papers' choice);
* ``runner_up`` — the clean model's second most likely class.  Not the papers' choice: at our scale
  (a 3,000-image CNN retrained from scratch) random pairs such as T-shirt → Sneaker are out of
  reach of a 16/255 brew, while the nearest wrong class is not (see the experiments' READMEs).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor

from ..errors import ConfigError

# (logits row of the target, true label, generator) → adversarial label
Adversary = Callable[[Tensor, int, torch.Generator], int]


def _random(logits: Tensor, label: int, gen: torch.Generator) -> int:
    others = [c for c in range(len(logits)) if c != label]
    return others[int(torch.randint(len(others), (1,), generator=gen))]


def _runner_up(logits: Tensor, label: int, gen: torch.Generator) -> int:
    return int(logits.scatter(0, torch.tensor([label]), -np.inf).argmax())


ADVERSARIES: dict[str, Adversary] = {"random": _random, "runner_up": _runner_up}


def margins(logits: Tensor, y: Tensor) -> Tensor:
    """logit[y] − max_{k≠y} logit[k]: positive iff correctly classified (binary: ±decision value)."""
    logits, y = logits.cpu(), y.cpu()
    true = logits.gather(1, y[:, None]).squeeze(1)
    other = logits.scatter(1, y[:, None], -np.inf).max(1).values
    return true - other


def pick_targets(logits: Tensor, y: Tensor, n: int, seed: int, max_margin: float | None = None,
                 adversary: str = "random") -> list[tuple[int, int]]:
    """``n`` (test index, adversarial label) pairs, drawn with ``seed`` among the eligible test points.

    ``logits`` are the clean model's on the whole test set ``(N, K)``, ``y`` its labels.
    """
    if adversary not in ADVERSARIES:
        raise ConfigError(f"unknown adversary rule {adversary!r}; allowed: {', '.join(ADVERSARIES)}")
    logits = logits.detach().cpu()
    m = margins(logits, y)
    ok = m > 0
    if max_margin is not None:
        ok &= m <= max_margin
    candidates = torch.nonzero(ok).squeeze(1)
    if len(candidates) < n:
        raise ConfigError(f"only {len(candidates)} test points qualify as targets (correct, margin ≤ {max_margin}), {n} asked")
    gen = torch.Generator().manual_seed(seed)
    chosen = candidates[torch.randperm(len(candidates), generator=gen)[:n]].tolist()
    rule = ADVERSARIES[adversary]
    return [(i, rule(logits[i], int(y[i]), gen)) for i in chosen]
