"""Trigger-phrase backdoor for a text classifier (after Wan et al., ICML 2023; PAPERS.md §P1).

Poisons are copies of training sentences from other classes with the trigger phrase inserted at
a random position (overwriting as many tokens) and the attacker's label; they are *added* to the
training set.  Effect (``residue.metrics.attack_effects.success_rate``): the fraction of test
sentences of other classes that, with the trigger inserted, are classified as the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..registries import ATTACKS
from ..seeding import generator


def insert_trigger(tokens: Tensor, trigger: Tensor, gen: torch.Generator) -> Tensor:
    """Overwrite a random span of each row of ``tokens`` (N, L) with ``trigger`` (T,)."""
    out = tokens.clone()
    starts = torch.randint(0, tokens.shape[1] - len(trigger) + 1, (len(tokens),), generator=gen)
    for i, s in enumerate(starts.tolist()):
        out[i, s : s + len(trigger)] = trigger
    return out


@ATTACKS.register("backdoor")
@dataclass(frozen=True)
class BackdoorArgs:
    """The attack's config arguments (``attack_args``)."""

    fraction: float = 0.02  # poisons added, per clean training sentence
    target: int = 0  # the attacker's class
    trigger: tuple[str, ...] = ("james", "bond")  # Wan et al.'s example trigger phrase


def backdoor(tokens: Tensor, labels: Tensor, trigger: Tensor, target: int, fraction: float, seed: int) -> tuple[Tensor, Tensor]:
    """Return ``(poison tokens, poison labels)``: ``fraction·N`` triggered copies labelled ``target``."""
    gen = generator(seed, "backdoor")
    pool = torch.nonzero(labels != target).flatten()
    n_poison = max(1, round(fraction * len(labels)))
    pick = pool[torch.randperm(len(pool), generator=gen)[:n_poison]]
    return insert_trigger(tokens[pick], trigger, gen), torch.full((len(pick),), target, dtype=torch.long)
