"""The prompts of an evaluation: the memorized captions (every non-generic training caption) and
seeded samples of generic training captions, disjoint: one set is generated and scored (the
non-memorized reference generations), the other gives NeMo's and Wen's reference statistics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...data.sources.fb_mem_scenes import ITEMS, Scenes
from ...seeding import derive


@dataclass(frozen=True)
class Prompts:
    captions: list[str]     # memorized first, then generic
    group: list[str]        # training group of each caption
    item: list[int]         # Fashion-MNIST item the caption asks for (-1: varies, the background group)
    reference: list[str]

    @property
    def memorized(self) -> np.ndarray:
        return np.array([g != "generic" for g in self.group])


def choose(scenes: Scenes, n_generic: int, n_reference: int, seed: int) -> Prompts:
    caps, groups, y = scenes.train_captions, scenes.train_group, scenes.data.train.y
    mem = sorted({c for c, g in zip(caps, groups) if g != "generic"}, key=caps.index)
    generic = sorted({c for c, g in zip(caps, groups) if g == "generic"})
    rng = np.random.default_rng(derive(seed, "prompts"))
    pick = rng.permutation(len(generic))
    gen = [generic[i] for i in pick[:n_generic]]
    ref = [generic[i] for i in pick[n_generic:n_generic + n_reference]]
    group = [groups[caps.index(c)] for c in mem] + ["generic"] * len(gen)
    item = []
    for c, g in zip(mem + gen, group):
        labels = {int(y[i]) for i, ci in enumerate(caps) if ci == c}
        item.append(ITEMS.index(c.split()[1]) if g == "generic" else (labels.pop() if len(labels) == 1 else -1))
    return Prompts(mem + gen, group, item, ref)
