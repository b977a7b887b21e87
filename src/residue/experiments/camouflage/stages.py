"""The stage bookkeeping of a camouflaged-poisoning trial: which set each model is trained on.

PAPERS.md §P2: θ_cl on D, θ_po on D ∪ S_po, θ_pc on D ∪ S_po ∪ S_ca, and after the adversary's
deletion request θ_un on D ∪ S_po (exact unlearning = retraining on what is left; with partial
deletion, on D ∪ S_po ∪ the camouflages that were *not* deleted).  S_po and S_ca are *added* to D:
their base images are drawn from training images outside D, so deleting a camouflage removes the
perturbed image and nothing else.  Every model of a trial is trained from a fresh seed
(``derive(seed, "model/<stage>")``), so "retraining" is a real retraining, not a replay.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

# stage name → the parts of the training set it is trained on, in this order
STAGES: dict[str, tuple[str, ...]] = {
    "clean": ("clean",),
    "poisoned": ("clean", "poisons"),
    "camouflaged": ("clean", "poisons", "camouflages"),
    "unlearned": ("clean", "poisons", "camouflages_kept"),
    # controls: the same base images added without their perturbations
    "poison_bases": ("clean", "poison_bases"),
    "camouflage_bases": ("clean", "poisons", "camouflage_bases"),
}


@dataclass(frozen=True)
class Part:
    x: Tensor  # (N, C, H, W) in [0, 1]
    y: Tensor  # (N,)

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class TrainingSets:
    """The parts a trial has built so far; ``compose(stage)`` is the training set of that stage."""

    clean: Part
    poisons: Part | None = None
    camouflages: Part | None = None
    camouflages_kept: Part | None = None  # what survives the deletion request
    poison_bases: Part | None = None
    camouflage_bases: Part | None = None

    def delete_camouflages(self, keep: Tensor) -> None:
        """The adversary's deletion request: keep only ``camouflages[keep]`` (bool mask or indices)."""
        self.camouflages_kept = Part(self.camouflages.x[keep], self.camouflages.y[keep])

    def compose(self, stage: str) -> tuple[Tensor, Tensor, dict[str, int]]:
        """``(x, y, composition)`` for a stage; composition counts the examples of each part."""
        parts = [(name, getattr(self, name)) for name in STAGES[stage]]
        missing = [name for name, p in parts if p is None]
        if missing:
            raise ValueError(f"stage {stage!r} needs {missing} which the trial has not built yet")
        x = torch.cat([p.x for _, p in parts])
        y = torch.cat([p.y for _, p in parts])
        return x, y, {name: len(p) for name, p in parts}
